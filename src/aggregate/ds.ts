/**
 * Dawid–Skene EM: a confusion matrix per worker and a class prior, started
 * from the majority vote. Stops when the stopping rule (`stop`, em-stop.ts)
 * holds or after `maxIter` iterations (`tol: 0` runs exactly maxIter).
 */
import type { Backend } from '../native/addon';
import { majorityVoteAsync, runEmAsync } from '../util/kernels';
import { runEmSync, type EmKernelOptions, type EmProblem, type EmResult } from './em';
import { DEFAULT_TOLS, stopRuleCode, type StopRule } from './em-stop';
import { majorityVoteSync } from './mv';
import { modeSpec, type CompactAnswers, type Mode, type ModeSpec } from './problem';

export interface EmFitOptions {
  mode?: Mode;
  spec?: ModeSpec;
  maxIter?: number;
  /**
   * When EM stops early: 'log-likelihood' (default; the objective gains less
   * than `tol` per answer in an iteration, as crowd-kit) or 'posterior' (the
   * largest posterior change is below `tol`, the earlier default).
   */
  stop?: StopRule;
  /** The rule's tolerance (default 1e-5 for 'log-likelihood', 1e-7 for 'posterior'); 0 runs exactly maxIter. */
  tol?: number;
  /** Additive smoothing of the confusion counts; 0 (default) = maximum likelihood. */
  smoothing?: number;
  threads?: number;
  backend?: Backend;
}

export const DEFAULT_MAX_ITER = 500;

/** The stopping rule's default tolerance. */
export function defaultTol(stop: StopRule | undefined): number {
  return DEFAULT_TOLS[stop ?? 'log-likelihood'];
}

/** Fits Dawid–Skene to one problem. */
export function dawidSkene(ans: CompactAnswers, opts: EmFitOptions = {}): EmResult {
  return fitEm([ans], opts, 0)[0];
}

/** Fits Dawid–Skene to many independent problems in one native call. */
export function dawidSkeneBatch(problems: CompactAnswers[], opts: EmFitOptions = {}): EmResult[] {
  return fitEm(problems, opts, 0);
}

/** Shared by Dawid–Skene and one-coin: majority-vote start, then EM. */
export function fitEm(problems: CompactAnswers[], opts: EmFitOptions, method: 0 | 1): EmResult[] {
  if (problems.length === 0) return [];
  const spec = specOf(problems, opts);
  const emProblems = problems.map((p) => emProblem(p, majorityVoteSync(p, { spec, backend: opts.backend })));
  return runEmSync(emProblems, { ...emOptions(spec, opts, method), backend: opts.backend });
}

/** fitEm, awaiting the kernels (off the event loop where the kernel layer runs them so). */
export async function fitEmAsync(problems: CompactAnswers[], opts: EmFitOptions & { signal?: AbortSignal }, method: 0 | 1): Promise<EmResult[]> {
  if (problems.length === 0) return [];
  const spec = specOf(problems, opts);
  const emProblems: EmProblem[] = [];
  for (const p of problems) emProblems.push(emProblem(p, await majorityVoteAsync(p, { spec, backend: opts.backend, signal: opts.signal })));
  return runEmAsync(emProblems, emOptions(spec, opts, method), opts.backend, opts.signal);
}

function specOf(problems: CompactAnswers[], opts: EmFitOptions): ModeSpec {
  return opts.spec ?? modeSpec(opts.mode ?? 'verification', problems[0].alphabet);
}

function emProblem(p: CompactAnswers, init: Float64Array): EmProblem {
  return { question: p.question, worker: p.worker, answer: p.answer, numQuestions: p.numQuestions, numWorkers: p.numWorkers, init };
}

function emOptions(spec: ModeSpec, opts: EmFitOptions, method: 0 | 1): EmKernelOptions {
  return {
    numAnswers: spec.numAnswers,
    numClasses: spec.numClasses,
    method,
    match: spec.match,
    maxIter: opts.maxIter ?? DEFAULT_MAX_ITER,
    stopRule: stopRuleCode(opts.stop),
    tol: opts.tol ?? defaultTol(opts.stop),
    smoothing: opts.smoothing ?? 0,
    threads: opts.threads ?? 0,
  };
}
