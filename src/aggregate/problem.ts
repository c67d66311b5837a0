/**
 * The two kinds of aggregation problem and how answers map onto truth classes.
 *
 * - verification: a question is an (image, label) pair whose truth is absent (0) or
 *   present (1); answers come from an ordered alphabet (default no, maybe, yes).
 * - categorical: the truth classes are the answer values themselves.
 */
import { ValidationError } from '../errors';

export type Mode = 'verification' | 'categorical';

export const DEFAULT_ALPHABET = ['no', 'maybe', 'yes'];

/** Compact answers: answer i is worker[i]'s answer[i] to question[i]. */
export interface CompactAnswers {
  question: Int32Array;
  worker: Int32Array;
  answer: Int32Array;
  numQuestions: number;
  numWorkers: number;
  /** Answer values in index order (verification: ordered from no to yes). */
  alphabet: string[];
}

export interface ModeSpec {
  mode: Mode;
  numAnswers: number;
  numClasses: number;
  /** Class names (verification: absent, present). */
  classes: string[];
  /** Majority-vote weight of answer a for class k (numAnswers × numClasses). */
  votes: Float64Array;
  /** The class each answer value is correct for, or -1 (one-coin). */
  match: Int32Array;
}

/**
 * Mode description for an alphabet. In verification mode answer a scores
 * values[a] for "present" (default evenly spaced: no = 0, maybe = 0.5, yes = 1).
 */
export function modeSpec(mode: Mode, alphabet: string[], values?: number[]): ModeSpec {
  const A = alphabet.length;
  if (mode === 'categorical') {
    if (A < 1) throw new ValidationError('categorical mode needs at least one answer value');
    const votes = new Float64Array(A * A);
    for (let a = 0; a < A; a++) votes[a * A + a] = 1;
    return { mode, numAnswers: A, numClasses: A, classes: alphabet.slice(), votes, match: Int32Array.from(alphabet, (_, i) => i) };
  }
  if (A < 2) throw new ValidationError('verification mode needs an alphabet of at least two answers (no ... yes)');
  const v = values ?? alphabet.map((_, a) => a / (A - 1));
  if (v.length !== A || v.some((x) => !(x >= 0 && x <= 1))) {
    throw new ValidationError(`answer values must be ${A} numbers in [0, 1], got ${v.join(',')}`);
  }
  const votes = new Float64Array(A * 2);
  for (let a = 0; a < A; a++) {
    votes[a * 2] = 1 - v[a];
    votes[a * 2 + 1] = v[a];
  }
  const match = new Int32Array(A).fill(-1);
  match[0] = 0;
  match[A - 1] = 1;
  return { mode, numAnswers: A, numClasses: 2, classes: ['absent', 'present'], votes, match };
}

/** Checks compact answers before a twin reads them (the native core checks its own). */
export function checkCompact(ans: CompactAnswers, what = 'answers'): void {
  const { question, worker, answer, numQuestions, numWorkers } = ans;
  const A = ans.alphabet.length;
  if (worker.length !== question.length || answer.length !== question.length) {
    throw new ValidationError(`${what}: question, worker and answer arrays differ in length`);
  }
  for (let i = 0; i < question.length; i++) {
    if (!(question[i] >= 0 && question[i] < numQuestions)) throw new ValidationError(`${what}: question[${i}] = ${question[i]} is out of range [0, ${numQuestions})`);
    if (!(worker[i] >= 0 && worker[i] < numWorkers)) throw new ValidationError(`${what}: worker[${i}] = ${worker[i]} is out of range [0, ${numWorkers})`);
    if (!(answer[i] >= 0 && answer[i] < A)) throw new ValidationError(`${what}: answer[${i}] = ${answer[i]} is out of range [0, ${A})`);
  }
}

/** W * K * A doubles per confusion array, as in native/aggregate_core.h. */
export const MAX_PARAMS = 2 ** 26;

/**
 * The size limits of the native kernels (native/aggregate_core.cc
 * CheckSizes), applied to the twins too so both backends fail alike.
 */
export function checkSizes(Q: number, W: number, A: number, K: number): void {
  const range = (what: string, x: number, lo: number, hi: number) => {
    if (!Number.isInteger(x) || x < lo || x > hi) throw new ValidationError(`${what} = ${x} is out of range [${lo}, ${hi}]`);
  };
  range('numQuestions', Q, 0, 2 ** 31 - 1);
  range('numWorkers', W, 0, 2 ** 31 - 1);
  range('numAnswers', A, 1, 2 ** 16);
  range('numClasses', K, 1, 2 ** 16);
  if (W * A > 2 ** 31 - 1) throw new ValidationError('numWorkers * numAnswers is too large');
  if (W * A * K > MAX_PARAMS) throw new ValidationError('numWorkers * numClasses * numAnswers is too large');
  if (Q * K > 2 ** 40) throw new ValidationError('numQuestions * numClasses is too large');
}
