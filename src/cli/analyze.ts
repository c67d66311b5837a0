/** `realabel analyze`: the paper's analyses as CSVs, figures and one HTML report. */
import type { Command } from 'commander';
import { analyzeFiles } from '../analyze/files';
import { Progress } from './progress';
import { action, examples, parseFloatArg, parseIntArg, printJson, threadsOption } from './common';

interface Opts {
  labels: string;
  original: string;
  predictions?: string[];
  synsets?: string;
  out: string;
  png?: boolean;
  json?: boolean;
  classes?: number;
  oracleThreshold: number;
  cooccurring: number;
  pairs: number;
  threads: number;
}

export function register(program: Command): void {
  const cmd = program
    .command('analyze')
    .description('per-class accuracy, the unbiased oracle, ReaL-vs-original slopes and label multiplicity, with an HTML report')
    .requiredOption('--labels <file>', 'ReaL label sets (real.json)')
    .requiredOption('--original <file>', '.npy of original labels, int [N]')
    .option('--predictions <files...>', '.npy per model: int [N] top-1 classes or float [N, C] scores')
    .option('--synsets <file>', 'synset.txt, to name the classes')
    .requiredOption('--out <dir>', 'output folder (report.html, CSVs, figures; created when missing)')
    .option('--png', 'also write a PNG of every figure')
    .option('--classes <n>', 'number of classes (default: synsets, score width, else 1000)', parseIntArg('--classes', 1, 1 << 24))
    .option('--oracle-threshold <p>', 'list co-occurring classes where the oracle is below this', parseFloatArg('--oracle-threshold', 0, 1), 0.9)
    .option('--cooccurring <k>', 'co-occurring classes listed per class', parseIntArg('--cooccurring', 1, 1000), 5)
    .option('--pairs <k>', 'most frequent label pairs listed', parseIntArg('--pairs', 1, 100000), 20)
    .option('--json', 'print a summary as JSON');
  threadsOption(cmd);
  examples(cmd, [
    'realabel analyze --labels real.json --original val_labels.npy --predictions m1.npy m2.npy --synsets synset.txt --out report/',
  ]);
  cmd.action(action(run, { numClasses: '--classes', coOccurring: '--cooccurring', topPairs: '--pairs' }));
}

async function run(opts: Opts): Promise<void> {
  const models = opts.predictions ?? [];
  const progress = new Progress('analyze', models.length, { json: opts.json });
  const result = await analyzeFiles({
    labels: opts.labels,
    original: opts.original,
    predictions: models,
    synsets: opts.synsets,
    numClasses: opts.classes,
    oracleThreshold: opts.oracleThreshold,
    coOccurring: opts.cooccurring,
    topPairs: opts.pairs,
    threads: opts.threads,
    out: opts.out,
    png: opts.png,
    onProgress: (done) => progress.update(done),
  });
  progress.finish();
  const written = result.written!;
  if (opts.json) {
    printJson({
      report: written.report,
      files: written.files,
      models: result.models,
      slopes: result.slopes,
      oracle: { overall: result.oracle.overall, threshold: result.oracle.threshold, n_below: result.oracle.n_below },
      multiplicity: { ...result.multiplicity, top_pairs: result.multiplicity.top_pairs.slice(0, 5) },
    });
  } else {
    process.stdout.write(`wrote ${written.files.length} files to ${written.dir}\nopen ${written.report}\n`);
  }
}
