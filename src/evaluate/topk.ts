/**
 * Per-row top-k of a score matrix (logits or probabilities): the one hot loop
 * of evaluation. Native when the core is loaded, else the TS twin; both give
 * the same indices (ties to the lower class, NaN rejected).
 */
import { ValidationError } from '../errors';
import { runNativeAsync, withBackend, type Backend, type ErrorContext, type KernelOptions } from '../native/addon';
import { runTwin } from '../util/workers';
import { topkRowsTs, type ScoreArray } from './topk-ts';

export type { ScoreArray } from './topk-ts';

export interface RowTopKOptions extends KernelOptions {
  backend?: Backend;
  /** Native threads (0 = all cores). Never changes the result. */
  threads?: number;
  /** File the scores come from, for error messages. */
  file?: string;
  /** Row offset of this chunk in the file, for error messages. */
  rowOffset?: number;
}

function check(scores: ScoreArray, n: number, c: number, k: number, opts: RowTopKOptions): void {
  if (!Number.isInteger(n) || !Number.isInteger(c) || n < 0 || c < 1 || scores.length !== n * c) {
    throw new ValidationError(`score matrix has ${scores.length} values, expected ${n} x ${c}`, opts.file);
  }
  if (!Number.isInteger(k) || k < 1 || k > c) throw new ValidationError(`top-k: k = ${k} must be in [1, ${c}]`, opts.file);
}

/** A NaN row (E_NAN, from either backend) named with its row in the file. */
function errorContext(opts: RowTopKOptions): ErrorContext {
  return { file: opts.file, dataMessage: (e) => nanMessage(e.row!, opts) };
}

function nanMessage(row: number, opts: RowTopKOptions): string {
  return `row ${row + (opts.rowOffset ?? 0)} contains NaN`;
}

/** Top-k class indices of each of the n rows, as an Int32Array [n * k], on the calling thread. */
export function topkRowsSync(scores: ScoreArray, n: number, c: number, k: number, opts: RowTopKOptions = {}): Int32Array {
  check(scores, n, c, k, opts);
  const out = new Int32Array(n * k);
  withBackend(opts.backend, {
    native: (addon) => addon.evalTopkRows(scores, n, c, k, out, opts.threads ?? 0),
    twin: () => {
      const bad = topkRowsTs(scores, n, c, k, out);
      if (bad >= 0) throw new ValidationError(nanMessage(bad, opts), opts.file);
    },
  }, errorContext(opts));
  return out;
}

/**
 * Top-k class indices of each row off the event loop: natively on libuv's
 * pool (reading `scores` in place: do not modify them until the promise
 * settles), the twin in a worker. Rejects with an AbortError when
 * `opts.signal` fires.
 */
export async function topkRows(scores: ScoreArray, n: number, c: number, k: number, opts: RowTopKOptions = {}): Promise<Int32Array> {
  check(scores, n, c, k, opts);
  return withBackend(opts.backend, {
    native: async (addon) => {
      const out = new Int32Array(n * k);
      await runNativeAsync(opts.signal, (flag) => addon.evalTopkRowsAsync(scores, n, c, k, out, opts.threads ?? 0, flag));
      return out;
    },
    twin: () => runTwin<Int32Array>('evalTopkRows', [scores, n, c, k], opts.signal),
  }, errorContext(opts));
}
