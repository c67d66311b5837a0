/** `realabel clean`: keep training images whose label agrees with a cross-validated prediction. */
import { Option, type Command } from 'commander';
import type { CleanResult } from '../clean/clean';
import { cleanFiles } from '../clean/files';
import { action, examples, parseFloatArg, parseIntArg, printJson, threadsOption } from './common';

interface Opts {
  labels: string;
  predictions: string;
  minProb?: number;
  scores: 'auto' | 'probabilities' | 'logits';
  out: string;
  json?: boolean;
  classes?: number;
  synsets?: string;
  threads: number;
}

export function register(program: Command): void {
  const cmd = program
    .command('clean')
    .description('keep the images whose label agrees with the (cross-validated) prediction; report drops per class')
    .requiredOption('--labels <file>', '.npy of given training labels, int [N]')
    .requiredOption('--predictions <file>', '.npy: int [N] top-1 classes, or float [N, C] probabilities or logits')
    .option('--min-prob <p>', "also drop an image when its label's probability is below p (softmax for logits)", parseFloatArg('--min-prob', 0, 1))
    .addOption(new Option('--scores <kind>', 'how to read float predictions with --min-prob').choices(['auto', 'probabilities', 'logits']).default('auto'))
    .requiredOption('--out <file>', 'kept image indices: .txt (one per line) or .npy (int64)')
    .option('--classes <n>', 'number of classes (default: score width, else largest index + 1)', parseIntArg('--classes', 1, 1 << 24))
    .option('--synsets <file>', 'synset.txt, to name classes in the report')
    .option('--json', 'print the report as JSON');
  threadsOption(cmd);
  cmd.addHelpText('after', `
Kept: argmax of the row (ties to the lower class) equals the label and, with
--min-prob p, the label's probability is >= p. "auto" treats the scores as
probabilities when every value of the first chunk is in [0, 1] and each row
sums to 1 (within 1e-3), else as logits (probability = softmax).`);
  examples(cmd, [
    'realabel clean --labels train_labels.npy --predictions cv_probs.npy --min-prob 0.5 --out keep.npy',
    'realabel clean --labels train_labels.npy --predictions cv_top1.npy --out keep.txt --json',
  ]);
  cmd.action(action(run, { numClasses: '--classes' }));
}

async function run(opts: Opts): Promise<void> {
  const result = await cleanFiles({
    labels: opts.labels, predictions: opts.predictions, minProb: opts.minProb, scores: opts.scores,
    numClasses: opts.classes, synsets: opts.synsets, out: opts.out, threads: opts.threads,
  });
  if (opts.json) printJson(jsonOf(result, opts.out, result.classNames));
  else process.stdout.write(summary(result, opts.out, result.classNames));
}

function jsonOf(r: CleanResult, out: string, names?: string[]) {
  const { keep: _keep, perClass, out: _out, classNames: _names, ...rest } = r as CleanResult & { out?: string; classNames?: string[] };
  return { ...rest, out, perClass: perClass.map((p) => ({ ...p, ...(names ? { name: names[p.class] } : {}) })) };
}

function summary(r: CleanResult, out: string, names?: string[]): string {
  const pct = (x: number, n: number) => (n ? `${((100 * x) / n).toFixed(2)}%` : '-');
  const lines = [
    `kept ${r.kept} of ${r.n} images (${pct(r.kept, r.n)}); dropped ${r.dropped}: ${r.droppedDisagree} disagree` +
      (r.minProb !== null ? `, ${r.droppedLowProb} below p = ${r.minProb}` : '') + ` [${r.scores}]`,
    `wrote ${out}`,
    'most dropped classes:',
  ];
  const worst = [...r.perClass].filter((p) => p.dropped > 0).sort((a, b) => b.dropped / b.n - a.dropped / a.n || a.class - b.class).slice(0, 10);
  for (const p of worst) lines.push(`  ${String(p.class).padStart(5)} ${(names?.[p.class] ?? '').padEnd(24)} ${String(p.dropped).padStart(7)} of ${String(p.n).padEnd(7)} ${pct(p.dropped, p.n)}`);
  return `${lines.join('\n')}\n`;
}
