/**
 * Batched EM: one call fits many independent problems (shards, bootstrap
 * resamples, per-class problems). Natively, many problems run one per thread
 * and a single problem uses every thread; the result never depends on the
 * thread count.
 */
import { ValidationError, rethrowNative } from '../errors';
import { pickNative, type Backend } from '../native/addon';
import { emTs } from './em-ts';
import type { EmKernelOptions, EmProblem, EmResult } from './kernel-types';
import { checkCompact, checkSizes } from './problem';

export type { EmKernelOptions, EmProblem, EmResult } from './kernel-types';

export function runEm(problems: EmProblem[], opts: EmKernelOptions, backend: Backend = 'auto'): EmResult[] {
  checkOptions(opts);
  const addon = pickNative(backend);
  if (addon) {
    try {
      return addon.aggEm(problems, { ...opts, threads: opts.threads ?? 0 });
    } catch (err) {
      rethrowNative(err);
    }
  }
  problems.forEach((p, i) => {
    const what = `problems[${i}]`;
    checkSizes(p.numQuestions, p.numWorkers, opts.numAnswers, opts.numClasses);
    checkCompact({ ...p, alphabet: new Array(opts.numAnswers).fill('') }, what);
    if (p.init.length !== p.numQuestions * opts.numClasses) throw new ValidationError(`${what}.init: expected numQuestions * numClasses values`);
  });
  return emTs(problems, opts);
}

function checkOptions(o: EmKernelOptions): void {
  if (!Number.isInteger(o.maxIter) || o.maxIter < 0) throw new ValidationError(`maxIter must be an integer >= 0, got ${o.maxIter}`);
  if (!(o.tol >= 0) || !Number.isFinite(o.tol)) throw new ValidationError(`tol must be a finite number >= 0, got ${o.tol}`);
  if (!(o.smoothing >= 0) || !Number.isFinite(o.smoothing)) throw new ValidationError(`smoothing must be a finite number >= 0, got ${o.smoothing}`);
  if (o.method === 1) {
    if (o.numAnswers < 2) throw new ValidationError('one-coin needs at least two answer values');
    if (!o.match || o.match.length !== o.numAnswers) throw new ValidationError('one-coin needs a match table with one entry per answer value');
  }
}
