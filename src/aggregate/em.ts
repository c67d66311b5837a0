/**
 * Batched EM: one call fits many independent problems (shards, bootstrap
 * resamples, per-class problems). Natively, many problems run one per thread
 * and a single problem uses every thread; the result never depends on the
 * thread count.
 */
import { ValidationError } from '../errors';
import { runNativeAsync, withBackend, type KernelOptions } from '../native/addon';
import { runTwin } from '../util/workers';
import { emTs } from './em-ts';
import type { EmKernelOptions, EmProblem, EmResult } from './kernel-types';
import { checkCompact, checkSizes } from './problem';

export type { EmKernelOptions, EmProblem, EmResult } from './kernel-types';

/** EM on the calling thread. */
export function runEmSync(problems: EmProblem[], opts: EmKernelOptions & Pick<KernelOptions, 'backend'>): EmResult[] {
  checkOptions(opts);
  return withBackend(opts.backend, {
    native: (addon) => addon.aggEm(problems, nativeOptions(opts)),
    twin: () => {
      checkTwin(problems, opts);
      return emTs(problems, kernelOptions(opts));
    },
  });
}

/**
 * EM off the event loop: natively on libuv's pool (the problems' arrays are
 * read in place: do not modify them until the promise settles), the twin in a
 * worker. Rejects with an AbortError when `opts.signal` fires (natively, at
 * the next iteration).
 */
export async function runEm(problems: EmProblem[], opts: EmKernelOptions & KernelOptions): Promise<EmResult[]> {
  checkOptions(opts);
  return withBackend(opts.backend, {
    native: (addon) => runNativeAsync(opts.signal, (flag) => addon.aggEmAsync(problems, nativeOptions(opts), flag)),
    twin: () => {
      checkTwin(problems, opts);
      return runTwin<EmResult[]>('aggEm', [problems, kernelOptions(opts)], opts.signal);
    },
  });
}

/** The kernel's own options (no backend or signal: those do not cross to a worker). */
function kernelOptions(o: EmKernelOptions): EmKernelOptions {
  const { numAnswers, numClasses, method, match, maxIter, tol, smoothing, threads } = o;
  return { numAnswers, numClasses, method, match, maxIter, stopRule: o.stopRule ?? 0, tol, smoothing, threads };
}

function nativeOptions(o: EmKernelOptions) {
  return { ...kernelOptions(o), threads: o.threads ?? 0 };
}

/** The checks native runs in C++, for the twin. */
function checkTwin(problems: EmProblem[], opts: EmKernelOptions): void {
  problems.forEach((p, i) => {
    const what = `problems[${i}]`;
    checkSizes(p.numQuestions, p.numWorkers, opts.numAnswers, opts.numClasses);
    checkCompact({ ...p, alphabet: new Array(opts.numAnswers).fill('') }, what);
    if (p.init.length !== p.numQuestions * opts.numClasses) throw new ValidationError(`${what}.init: expected numQuestions * numClasses values`);
  });
}

function checkOptions(o: EmKernelOptions): void {
  if (!Number.isInteger(o.maxIter) || o.maxIter < 0) throw new ValidationError(`maxIter must be an integer >= 0, got ${o.maxIter}`);
  if (o.stopRule !== undefined && o.stopRule !== 0 && o.stopRule !== 1) throw new ValidationError(`stopRule must be 0 (log-likelihood) or 1 (posterior), got ${o.stopRule}`);
  if (!(o.tol >= 0) || !Number.isFinite(o.tol)) throw new ValidationError(`tol must be a finite number >= 0, got ${o.tol}`);
  if (!(o.smoothing >= 0) || !Number.isFinite(o.smoothing)) throw new ValidationError(`smoothing must be a finite number >= 0, got ${o.smoothing}`);
  if (o.method === 1) {
    if (o.numAnswers < 2) throw new ValidationError('one-coin needs at least two answer values');
    if (!o.match || o.match.length !== o.numAnswers) throw new ValidationError('one-coin needs a match table with one entry per answer value');
  }
}
