/**
 * `clean`: keeps the training images whose given label agrees with a
 * (cross-validated) prediction, the paper's recipe for cleaner training
 * labels. Precisely, image i is kept when
 *   1. its predicted class (the given top-1, or the argmax of its scores,
 *      ties to the lower class) equals its label y_i, and
 *   2. with `minProb` p: the probability of y_i is at least p, where the
 *      probability is the score itself for probability rows and
 *      softmax(row)[y_i] = exp(x_y - max) / sum_j exp(x_j - max) (float64)
 *      for logit rows.
 * Score kind 'auto': the matrix holds probabilities when every value of its
 * first chunk lies in [0, 1] and every row there sums to 1 within 1e-3; the
 * rest must then look the same (else an error asks for --scores). The kind
 * only matters with minProb (the argmax is the same either way).
 */
import { UsageError, ValidationError } from '../errors';
import type { Backend } from '../native/addon';
import { checkTop1, rowsPerChunk, sourceFromInput, type PredictionInput, type PredictionSource, type ScoreChunk } from '../evaluate/sources';
import { topkRowsSync } from '../evaluate/topk';

export type ScoreKind = 'auto' | 'probabilities' | 'logits';

export interface CleanOptions {
  /** Given labels [N], class indices. */
  labels: ArrayLike<number>;
  /** Top-1 classes [N], or a row-major score matrix (probabilities or logits). */
  predictions: PredictionInput;
  /** Also drop images whose label's probability is below this. */
  minProb?: number;
  scores?: ScoreKind;
  /** Class count (default: the score width, else 1 + the largest label or prediction). */
  numClasses?: number;
  backend?: Backend;
  threads?: number;
}

export interface ClassCleaning {
  class: number;
  n: number;
  kept: number;
  dropped: number;
  /** Dropped because the prediction disagrees. */
  droppedDisagree: number;
  /** Dropped because the prediction agrees but the label's probability is below minProb. */
  droppedLowProb: number;
}

export interface CleanResult {
  n: number;
  kept: number;
  dropped: number;
  droppedDisagree: number;
  droppedLowProb: number;
  minProb: number | null;
  /** What the predictions were read as ('argmax': a score matrix, used for its argmax only). */
  scores: 'top1' | 'argmax' | 'probabilities' | 'logits';
  /** Indices of the kept images, ascending. */
  keep: Int32Array;
  perClass: ClassCleaning[];
}

export function clean(opts: CleanOptions): CleanResult {
  return cleanSource(sourceFromInput(opts.predictions, 'predictions'), Int32Array.from(opts.labels), opts, 'labels');
}

const PROB_TOLERANCE = 1e-3;

/** Shared by the in-memory and file front ends. */
export function cleanSource(
  source: PredictionSource,
  labels: Int32Array,
  opts: Omit<CleanOptions, 'labels' | 'predictions'>,
  labelsFile: string,
): CleanResult {
  const where = source.file ?? source.name;
  const minProb = opts.minProb ?? null;
  if (minProb !== null && !(minProb >= 0 && minProb <= 1)) throw new UsageError(`\`minProb\` must be in [0, 1], got ${minProb}`, 'minProb');
  if (source.n !== labels.length) {
    throw new ValidationError(`has ${source.n} predictions but ${labelsFile} has ${labels.length} labels`, where);
  }
  const c = opts.numClasses ?? (source.kind === 'scores' ? source.c : 1 + Math.max(maxOf(labels), maxOf(source.top1)));
  checkLabels(labels, c, labelsFile);
  const acc = new Accumulator(labels, c, minProb);
  if (source.kind === 'top1') {
    if (minProb !== null) throw new UsageError('`minProb` needs probabilities or logits, not top-1 predictions');
    checkTop1(source.top1, c, source.file, source.name);
    for (let i = 0; i < source.n; i++) acc.add(i, source.top1[i], 1);
    return acc.result('top1');
  }
  if (source.c !== c) throw new ValidationError(`has ${source.c} classes per row, expected ${c}`, where);
  let kind: ScoreKind = opts.scores ?? 'auto';
  for (const chunk of source.chunks(rowsPerChunk(c, 8))) {
    const top = topkRowsSync(chunk.scores, chunk.rows, c, 1, { backend: opts.backend, threads: opts.threads, file: where, rowOffset: chunk.start });
    if (minProb !== null && kind === 'auto') kind = looksLikeProbabilities(chunk, c) ? 'probabilities' : 'logits';
    for (let r = 0; r < chunk.rows; r++) {
      const i = chunk.start + r;
      const agree = top[r] === labels[i];
      const p = agree && minProb !== null ? labelProbability(chunk, c, r, labels[i], kind, where) : 1;
      acc.add(i, top[r], p);
    }
  }
  return acc.result(minProb === null ? 'argmax' : kind === 'logits' ? 'logits' : 'probabilities');
}

function maxOf(a: Int32Array): number {
  let m = -1;
  for (let i = 0; i < a.length; i++) if (a[i] > m) m = a[i];
  return m;
}

function checkLabels(labels: Int32Array, c: number, file: string): void {
  for (let i = 0; i < labels.length; i++) {
    if (labels[i] < 0 || labels[i] >= c) throw new ValidationError(`label ${labels[i]} at image ${i} is not a class index in [0, ${c})`, file);
  }
}

function looksLikeProbabilities(chunk: ScoreChunk, c: number): boolean {
  for (let r = 0; r < chunk.rows; r++) if (!isDistribution(chunk.scores, r * c, c)) return false;
  return true;
}

function isDistribution(s: ArrayLike<number>, at: number, c: number): boolean {
  let sum = 0;
  for (let j = at; j < at + c; j++) {
    if (!(s[j] >= 0 && s[j] <= 1)) return false;
    sum += s[j];
  }
  return Math.abs(sum - 1) <= PROB_TOLERANCE;
}

function labelProbability(chunk: ScoreChunk, c: number, r: number, y: number, kind: ScoreKind, where: string): number {
  const s = chunk.scores;
  const at = r * c;
  if (kind === 'logits') {
    let max = -Infinity;
    for (let j = at; j < at + c; j++) if (s[j] > max) max = s[j];
    let sum = 0;
    for (let j = at; j < at + c; j++) sum += Math.exp(s[j] - max);
    return Math.exp(s[at + y] - max) / sum;
  }
  if (!isDistribution(s, at, c)) {
    throw new ValidationError(`row ${chunk.start + r} is not a probability distribution (values in [0, 1] summing to 1); pass \`scores\` logits if the file holds logits`, where);
  }
  return s[at + y];
}

class Accumulator {
  private readonly keep: Int32Array;
  private kept = 0;
  private readonly n: Int32Array;
  private readonly disagree: Int32Array;
  private readonly lowProb: Int32Array;

  constructor(private readonly labels: Int32Array, c: number, private readonly minProb: number | null) {
    this.keep = new Int32Array(labels.length);
    this.n = new Int32Array(c);
    this.disagree = new Int32Array(c);
    this.lowProb = new Int32Array(c);
  }

  add(i: number, pred: number, p: number): void {
    const y = this.labels[i];
    this.n[y]++;
    if (pred !== y) this.disagree[y]++;
    else if (this.minProb !== null && !(p >= this.minProb)) this.lowProb[y]++;
    else this.keep[this.kept++] = i;
  }

  result(scores: CleanResult['scores']): CleanResult {
    const perClass = Array.from(this.n, (n, c) => ({
      class: c, n, kept: n - this.disagree[c] - this.lowProb[c], dropped: this.disagree[c] + this.lowProb[c],
      droppedDisagree: this.disagree[c], droppedLowProb: this.lowProb[c],
    }));
    const sum = (k: 'droppedDisagree' | 'droppedLowProb') => perClass.reduce((s, x) => s + x[k], 0);
    return {
      n: this.labels.length, kept: this.kept, dropped: this.labels.length - this.kept,
      droppedDisagree: sum('droppedDisagree'), droppedLowProb: sum('droppedLowProb'),
      minProb: this.minProb, scores, keep: this.keep.slice(0, this.kept), perClass,
    };
  }
}
