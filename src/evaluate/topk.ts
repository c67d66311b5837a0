/**
 * Per-row top-k of a score matrix (logits or probabilities): the one hot loop
 * of evaluation. Native when the core is loaded, else the TS twin; both give
 * the same indices (ties to the lower class, NaN rejected).
 */
import { ValidationError, rethrowNative } from '../errors';
import { pickNative, type Backend } from '../native/addon';
import { topkRowsTs, type ScoreArray } from './topk-ts';

export type { ScoreArray } from './topk-ts';

export interface RowTopKOptions {
  backend?: Backend;
  /** Native threads (0 = all cores). Never changes the result. */
  threads?: number;
  /** File the scores come from, for error messages. */
  file?: string;
  /** Row offset of this chunk in the file, for error messages. */
  rowOffset?: number;
}

/** Top-k class indices of each of the n rows, as an Int32Array [n * k]. */
export function topkRows(scores: ScoreArray, n: number, c: number, k: number, opts: RowTopKOptions = {}): Int32Array {
  if (!Number.isInteger(n) || !Number.isInteger(c) || n < 0 || c < 1 || scores.length !== n * c) {
    throw new ValidationError(`score matrix has ${scores.length} values, expected ${n} x ${c}`, opts.file);
  }
  if (!Number.isInteger(k) || k < 1 || k > c) throw new ValidationError(`top-k: k = ${k} must be in [1, ${c}]`, opts.file);
  const out = new Int32Array(n * k);
  const addon = pickNative(opts.backend);
  if (addon) {
    try {
      addon.evalTopkRows(scores, n, c, k, out, opts.threads ?? 0);
    } catch (err) {
      const m = /^scores row (\d+) contains NaN$/.exec((err as Error)?.message ?? '');
      if (m) throw nanError(Number(m[1]), opts);
      rethrowNative(err, opts.file);
    }
    return out;
  }
  const bad = topkRowsTs(scores, n, c, k, out);
  if (bad >= 0) throw nanError(bad, opts);
  return out;
}

function nanError(row: number, opts: RowTopKOptions): ValidationError {
  return new ValidationError(`row ${row + (opts.rowOffset ?? 0)} contains NaN`, opts.file);
}
