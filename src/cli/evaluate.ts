/** `realabel evaluate`: ReaL and original accuracy of one or more models. */
import type { Command } from 'commander';
import type { Backend } from '../native/addon';
import type { EvaluateResult, ModelResult } from '../evaluate/evaluate';
import { evaluateFiles } from '../evaluate/files';
import { Progress } from './progress';
import { action, backendOption, clusterOption, examples, parseIntArg, printJson, threadsOption } from './common';
import { maxOf } from '../util/extent';

interface Opts {
  labels: string;
  predictions: string[];
  original?: string;
  json?: boolean;
  perClass?: string;
  synsets?: string;
  classes?: number;
  threads: number;
  backend: Backend;
  cluster?: string;
}

export function register(program: Command): void {
  const cmd = program
    .command('evaluate')
    .description('score predictions against ReaL labels: ReaL top-1/top-5/strict, original top-1/top-5')
    .requiredOption('--labels <file>', 'ReaL label sets (real.json: a list of N lists of class indices)')
    .requiredOption('--predictions <files...>', '.npy per model: int [N] top-1 classes, or float [N, C] logits/probabilities')
    .option('--original <file>', '.npy of original labels, int [N] (adds original_top1/top5)')
    .option('--per-class <csv>', 'write per-class accuracy, one row per (model, class)')
    .option('--synsets <file>', 'synset.txt, to name classes in the per-class table')
    .option('--classes <n>', 'number of classes for top-1 predictions (default: score width, else 1000)', parseIntArg('--classes', 1, 1 << 24))
    .option('--json', 'print the metrics as JSON: {"models": [one row per model], "n_scored", "n_skipped", "num_classes"}');
  threadsOption(cmd);
  backendOption(cmd);
  clusterOption(cmd);
  examples(cmd, [
    'realabel evaluate --labels real.json --predictions logits.npy --original val_labels.npy',
    'realabel evaluate --labels real.json --predictions a.npy b.npy c.npy --json --per-class per_class.csv',
  ]);
  cmd.action(action(run, { numClasses: '--classes', perClassOut: '--per-class' }));
}

async function run(opts: Opts): Promise<void> {
  const progress = new Progress('evaluate', opts.predictions.length, { json: opts.json });
  const result = await evaluateFiles({
    labels: opts.labels, predictions: opts.predictions, original: opts.original, synsets: opts.synsets, perClassOut: opts.perClass,
    numClasses: opts.classes, threads: opts.threads, backend: opts.backend, cluster: opts.cluster, onProgress: (done) => progress.update(done),
  });
  progress.finish();
  if (opts.json) printJson(jsonOf(result));
  else process.stdout.write(table(result));
}

/** The --json shape, whatever the model count: { models: [rows], nScored, nSkipped, numClasses }. */
export function jsonOf(result: EvaluateResult): object {
  const rows = result.models.map(jsonRow);
  return { models: rows, nScored: rows[0].nScored, nSkipped: rows[0].nSkipped, numClasses: result.numClasses };
}

export function jsonRow(m: ModelResult) {
  const { perClass: _perClass, top1: _top1, name, ...rest } = m;
  return { model: name, ...rest };
}

const COLUMNS = ['realTop1', 'realTop5', 'originalTop1', 'originalTop5', 'realStrict'] as const;
const HEADERS = ['real_top1', 'real_top5', 'original_top1', 'original_top5', 'real_strict'];

function table(result: EvaluateResult): string {
  const pct = (x: number | null) => (x === null ? '-' : `${(100 * x).toFixed(2)}%`);
  const rows = [['model', ...HEADERS], ...result.models.map((m) => [m.name, ...COLUMNS.map((k) => pct(m[k]))])];
  const widths = rows[0].map((_, j) => maxOf(rows.map((r) => r[j].length), 0));
  const lines = rows.map((r) => r.map((cell, j) => (j === 0 ? cell.padEnd(widths[j]) : cell.padStart(widths[j]))).join('  '));
  const m = result.models[0];
  lines.push(`scored ${m.nScored} images; skipped ${m.nSkipped} with no ReaL label`);
  return `${lines.join('\n')}\n`;
}
