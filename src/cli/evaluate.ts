/** `realabel evaluate`: ReaL and original accuracy of one or more models. */
import type { Command } from 'commander';
import { UsageError } from '../errors';
import { writeCsv } from '../evaluate/csv';
import type { EvaluateResult, ModelResult } from '../evaluate/evaluate';
import { evaluateFiles } from '../evaluate/files';
import { PER_CLASS_HEADER, perClassRows } from '../evaluate/per-class-csv';
import { readSynsets } from '../io/synsets';
import { Progress } from './progress';
import { action, examples, parseIntArg, printJson, threadsOption } from './common';

interface Opts {
  labels: string;
  predictions: string[];
  original?: string;
  json?: boolean;
  perClass?: string;
  synsets?: string;
  classes?: number;
  threads: number;
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
    .option('--json', 'print the metrics as JSON');
  threadsOption(cmd);
  examples(cmd, [
    'realabel evaluate --labels real.json --predictions logits.npy --original val_labels.npy',
    'realabel evaluate --labels real.json --predictions a.npy b.npy c.npy --json --per-class per_class.csv',
  ]);
  cmd.action(action(async (opts: Opts) => run(opts)));
}

async function run(opts: Opts): Promise<void> {
  const synsets = opts.synsets ? readSynsets(opts.synsets) : undefined;
  const progress = new Progress('evaluate', opts.predictions.length, { json: opts.json });
  const result = await evaluateFiles({
    labels: opts.labels,
    predictions: opts.predictions,
    original: opts.original,
    numClasses: opts.classes ?? synsets?.length,
    threads: opts.threads,
    onModel: () => progress.tick(),
  });
  progress.finish();
  if (synsets && synsets.length !== result.numClasses) {
    throw new UsageError(`${opts.synsets} lists ${synsets.length} classes but the predictions have ${result.numClasses}`);
  }
  if (opts.perClass) {
    writeCsv(opts.perClass, PER_CLASS_HEADER, perClassRows(result.models, result.numClasses, synsets, Boolean(opts.original)));
  }
  if (opts.json) printJson(jsonOf(result));
  else process.stdout.write(table(result));
}

/** The --json contract: one model → its row; several → { models: [rows] }. */
export function jsonOf(result: EvaluateResult): object {
  const rows = result.models.map(jsonRow);
  if (rows.length === 1) return rows[0];
  return { models: rows, n_scored: rows[0].n_scored, n_skipped: rows[0].n_skipped, num_classes: result.numClasses };
}

export function jsonRow(m: ModelResult) {
  return {
    model: m.name,
    file: m.file,
    kind: m.kind,
    real_top1: m.real_top1,
    real_top5: m.real_top5,
    original_top1: m.original_top1,
    original_top5: m.original_top5,
    real_strict: m.real_strict,
    n_scored: m.n_scored,
    n_skipped: m.n_skipped,
    counts: m.counts,
  };
}

const COLUMNS = ['real_top1', 'real_top5', 'original_top1', 'original_top5', 'real_strict'] as const;

function table(result: EvaluateResult): string {
  const pct = (x: number | null) => (x === null ? '-' : `${(100 * x).toFixed(2)}%`);
  const rows = [['model', ...COLUMNS], ...result.models.map((m) => [m.name, ...COLUMNS.map((k) => pct(m[k]))])];
  const widths = rows[0].map((_, j) => Math.max(...rows.map((r) => r[j].length)));
  const lines = rows.map((r) => r.map((cell, j) => (j === 0 ? cell.padEnd(widths[j]) : cell.padStart(widths[j]))).join('  '));
  const m = result.models[0];
  lines.push(`scored ${m.n_scored} images; skipped ${m.n_skipped} with no ReaL label`);
  return `${lines.join('\n')}\n`;
}
