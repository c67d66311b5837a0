/** Argument and result shapes shared by the native kernels and their twins. */

/** One EM problem in compact form: answer i is (question[i], worker[i], answer[i]). */
export interface EmProblem {
  question: Int32Array;
  worker: Int32Array;
  answer: Int32Array;
  numQuestions: number;
  numWorkers: number;
  /** Starting posterior, numQuestions × numClasses (row-major). */
  init: Float64Array;
}

export interface EmKernelOptions {
  numAnswers: number;
  numClasses: number;
  /** 0 = Dawid–Skene (full confusion per worker), 1 = one-coin (one accuracy per worker). */
  method: 0 | 1;
  /** One-coin: the class each answer value is correct for, or -1 (length numAnswers). */
  match?: Int32Array;
  maxIter: number;
  /** When to stop before maxIter (em-stop.ts): 0 (default) objective gain per answer below tol, 1 largest posterior change below tol. */
  stopRule?: 0 | 1;
  /** The stopping rule's tolerance; 0 runs exactly maxIter iterations. */
  tol: number;
  /** Additive smoothing of the confusion counts (Dirichlet(1 + s) MAP); 0 = maximum likelihood. */
  smoothing: number;
  /** Native threads (0 = all cores); never changes the result. */
  threads?: number;
}

export interface EmResult {
  /** numQuestions × numClasses. */
  posterior: Float64Array;
  /** numWorkers × numClasses × numAnswers: row (w, k) is p(answer | truth k) for worker w. */
  confusion: Float64Array;
  /** Class prior used by the last E-step. */
  prior: Float64Array;
  /** One-coin: the accuracy of each worker. */
  skill?: Float64Array;
  /** Log-likelihood of all answers after each iteration (never decreases without smoothing). */
  logLikelihood: Float64Array;
  /** Log-likelihood plus the smoothing's log Dirichlet prior: the quantity EM never decreases. */
  objective: Float64Array;
  iterations: number;
  converged: boolean;
}
