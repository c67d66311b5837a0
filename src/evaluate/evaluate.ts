/**
 * `evaluate`: ReaL and original accuracy of one or more models, from
 * in-memory label sets and predictions. `evaluate` awaits the top-k kernel
 * chunk by chunk (the event loop runs in between); `evaluateSync` is the same
 * on the calling thread, for scripts.
 */
import { UsageError, ValidationError } from '../errors';
import type { Backend } from '../native/addon';
import { checkSignal } from '../util/abort';
import { indexLabelSets, type LabelIndex } from './label-index';
import { scoreSource, scoreSourceAsync } from './score';
import type { Metrics, MetricCounts, ModelScore, PerClassCounts } from './scorer';
import { isScoreInput, sourceFromInput, type PredictionInput, type PredictionSource } from './sources';

export interface EvaluateOptions {
  /** ReaL label sets, one per image (empty = no valid label, skipped). */
  labels: ArrayLike<ArrayLike<number>>;
  /** One entry per model: top-1 classes [N], or a row-major score matrix. */
  predictions: PredictionInput[];
  /** Model names (default: "model 1", "model 2", ...). */
  names?: string[];
  /** Original single labels [N], for originalTop1/top5. */
  original?: ArrayLike<number>;
  /** Class count (default: the score matrices' width, else 1000). */
  numClasses?: number;
  backend?: Backend;
  threads?: number;
  /** Stops between chunks with an AbortError. */
  signal?: AbortSignal;
  /** Called after each model is scored. */
  onProgress?: (done: number, total: number) => void;
}

export interface ModelResult extends Metrics {
  name: string;
  file?: string;
  /** 'top1' for class predictions, 'scores' for logits/probabilities. */
  kind: 'top1' | 'scores';
  counts: MetricCounts;
  perClass: PerClassCounts;
  top1: Int32Array;
}

export interface EvaluateResult {
  numClasses: number;
  models: ModelResult[];
}

export const DEFAULT_CLASSES = 1000;

export async function evaluate(opts: EvaluateOptions): Promise<EvaluateResult> {
  const signal = checkSignal(opts.signal);
  const { c, labels, original, sources } = inputs(opts);
  const models: ModelResult[] = [];
  for (const [i, s] of sources.entries()) {
    models.push(modelResult(s, await scoreSourceAsync(s, labels, original, c, { ...opts, signal })));
    opts.onProgress?.(i + 1, sources.length);
  }
  return { numClasses: c, models };
}

/** `evaluate` on the calling thread (scripts): the same result. */
export function evaluateSync(opts: Omit<EvaluateOptions, 'signal'>): EvaluateResult {
  const { c, labels, original, sources } = inputs(opts);
  const models = sources.map((s, i) => {
    const m = modelResult(s, scoreSource(s, labels, original, c, opts));
    opts.onProgress?.(i + 1, sources.length);
    return m;
  });
  return { numClasses: c, models };
}

function inputs(opts: Omit<EvaluateOptions, 'signal'>) {
  if (!Array.isArray(opts.predictions) || opts.predictions.length === 0) {
    throw new UsageError('`predictions` must be a non-empty list (one entry per model)', 'predictions');
  }
  const c = opts.numClasses ?? inferClasses(opts.predictions);
  const labels = indexLabelSets(opts.labels, c, 'labels');
  const original = opts.original ? checkOriginal(opts.original, labels.n, c, 'original') : null;
  const sources = opts.predictions.map((p, i) => sourceFromInput(p, opts.names?.[i] ?? `model ${i + 1}`));
  return { c, labels, original, sources };
}

export function scoreAll(
  sources: PredictionSource[],
  labels: LabelIndex,
  original: Int32Array | null,
  c: number,
  opts: { backend?: Backend; threads?: number },
): ModelResult[] {
  return sources.map((s) => modelResult(s, scoreSource(s, labels, original, c, opts)));
}

export function modelResult(s: PredictionSource, score: ModelScore): ModelResult {
  return { name: s.name, file: s.file, kind: s.kind, ...score.metrics, counts: score.counts, perClass: score.perClass, top1: score.top1 };
}

function inferClasses(preds: PredictionInput[]): number {
  const widths = preds.filter(isScoreInput).map((p) => p.numClasses);
  return widths.length > 0 ? widths[0] : DEFAULT_CLASSES;
}

/** Original labels: one class index in [0, c) per image. */
export function checkOriginal(original: ArrayLike<number>, n: number, c: number, file: string): Int32Array {
  if (original.length !== n) {
    throw new ValidationError(`has ${original.length} labels but the label sets cover ${n} images`, file);
  }
  const out = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    const o = original[i];
    if (!Number.isInteger(o) || o < 0 || o >= c) {
      throw new ValidationError(`label ${o} at image ${i} is not a class index in [0, ${c})`, file);
    }
    out[i] = o;
  }
  return out;
}
