/** `realabel reproduce-real`: the published ReaL scores.npz and real.json from the raw votes. */
import type { Command } from 'commander';
import { reproduceReal, REAL_THRESHOLD } from '../aggregate/real';
import { action, examples, parseFloatArg, printJson, threadsOption } from './common';

interface Opts {
  data: string;
  original: string;
  out: string;
  threshold: number;
  threads: number;
  json?: boolean;
}

export function register(program: Command): void {
  const cmd = program
    .command('reproduce-real')
    .description('recompute the ReaL release (scores.npz, real.json) from raters.npz, golden.npz and raters_golden.npz')
    .requiredOption('--data <dir>', 'folder with raters.npz, golden.npz, raters_golden.npz (and the published files, to compare)')
    .requiredOption('--original <file>', 'imagenet_val_original_labels.npy')
    .requiredOption('--out <dir>', 'folder for scores.npz and real.json (created when missing)')
    .option('--threshold <x>', 'score threshold of a label', parseFloatArg('--threshold', 0, 1), REAL_THRESHOLD)
    .option('--json', 'print a JSON summary on stdout');
  threadsOption(cmd);
  cmd.action(action(run));
  examples(cmd, ['realabel reproduce-real --data reassessed-imagenet --original imagenet_val_original_labels.npy --out out/']);
}

async function run(opts: Opts): Promise<void> {
  const r = await reproduceReal(opts);
  if (opts.json) {
    const { scores: _scores, sets: _sets, ...summary } = r;
    printJson(summary);
    return;
  }
  const lines = [`${r.labels} labels on ${r.imagesWithLabels} of ${r.images} images (${r.questions} rated pairs, ${r.answers} answers) -> ${r.outputs!.scores}, ${r.outputs!.labels}`];
  const s = r.agreement.scores;
  if (s) lines.push(`scores.npz: ${s.within1e9} of ${s.pairs} pairs within 1e-9 of the published scores (max |diff| ${s.maxAbsDiff.toExponential(2)}), info ${s.sameInfo ? 'identical' : 'DIFFERENT'}`);
  const l = r.agreement.labels;
  if (l) lines.push(`real.json: ${l.identical} of ${l.images} lists identical to the published file (${l.sameSet} as sets)`);
  process.stdout.write(`${lines.join('\n')}\n`);
}
