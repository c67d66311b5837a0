/**
 * Gold-calibrated scoring: worker confusions counted on gold questions (with
 * additive smoothing), then one Dawid–Skene scoring pass over the main
 * answers. Pseudo-raters (deterministic rules such as "the label is the
 * image's original label") get their own confusion, counted on the gold set
 * against their own truth.
 */
import { ValidationError, rethrowNative } from '../errors';
import { pickNative, type Backend } from '../native/addon';
import { goldConfusionTs, scorePassTs } from './gold-ts';
import { checkCompact, checkSizes, type CompactAnswers, type ModeSpec } from './problem';

export interface GoldConfusionResult {
  /** numWorkers × numClasses × numAnswers. */
  confusion: Float64Array;
  /** Counted gold answers per worker (0 = got the mean of the others' rows). */
  counts: Float64Array;
}

/**
 * Confusions counted on gold answers. `gold.question` indexes `truth` (class
 * per gold question, -1 = unknown, skipped). Workers without counted answers
 * get the mean of the other workers' rows.
 */
export function goldConfusion(
  gold: CompactAnswers, truth: Int32Array, numClasses: number, smoothing = 1, backend: Backend = 'auto',
): GoldConfusionResult {
  const A = gold.alphabet.length;
  if (gold.numQuestions !== truth.length) {
    throw new ValidationError(`gold truth has ${truth.length} questions but the gold answers have ${gold.numQuestions}`);
  }
  const addon = pickNative(backend);
  if (addon) {
    try {
      return addon.aggGoldConfusion(gold.question, gold.worker, gold.answer, truth, gold.numWorkers, A, numClasses, smoothing);
    } catch (err) {
      rethrowNative(err);
    }
  }
  checkSizes(truth.length, gold.numWorkers, A, numClasses);
  checkCompact(gold, 'gold answers');
  if (!(smoothing >= 0 && Number.isFinite(smoothing))) throw new ValidationError('smoothing must be a finite number >= 0');
  truth.forEach((t, i) => {
    if (!(t >= -1 && t < numClasses)) throw new ValidationError(`truth[${i}] = ${t} is out of range [-1, ${numClasses})`);
  });
  return goldConfusionTs(gold.question, gold.worker, gold.answer, truth, gold.numWorkers, A, numClasses, smoothing);
}

/**
 * One scoring pass (an E-step) with fixed prior and confusions. `blockStarts`
 * (0, ..., numQuestions) fixes the question blocks whose log-likelihoods come
 * back one by one (a shard of the sharded EM, src/cluster).
 */
export function scorePass(
  ans: CompactAnswers, prior: Float64Array, confusion: Float64Array,
  opts: { threads?: number; backend?: Backend; blockStarts?: Int32Array } = {},
): { posterior: Float64Array; logLikelihood: number; blockLogLikelihood?: Float64Array } {
  const A = ans.alphabet.length;
  const addon = pickNative(opts.backend);
  if (addon) {
    try {
      return addon.aggScore(ans.question, ans.worker, ans.answer, ans.numQuestions, prior, confusion, ans.numWorkers, A, opts.threads ?? 0, opts.blockStarts);
    } catch (err) {
      rethrowNative(err);
    }
  }
  if (prior.length < 1) throw new ValidationError('prior: expected at least one class');
  checkSizes(ans.numQuestions, ans.numWorkers, A, prior.length);
  checkCompact(ans);
  if (confusion.length !== ans.numWorkers * prior.length * A) {
    throw new ValidationError('confusion: expected numWorkers * numClasses * numAnswers values');
  }
  for (const x of [...prior, ...confusion]) {
    if (!(x >= 0 && Number.isFinite(x))) throw new ValidationError('prior and confusion must be finite non-negative numbers');
  }
  const starts = opts.blockStarts;
  if (starts && (starts.length < 2 || starts[0] !== 0 || starts[starts.length - 1] !== ans.numQuestions || starts.some((s, b) => b > 0 && s < starts[b - 1]))) {
    throw new ValidationError('blockStarts: expected 0, ..., numQuestions');
  }
  return scorePassTs(ans.question, ans.worker, ans.answer, ans.numQuestions, prior, confusion, ans.numWorkers, A, starts);
}

/** A deterministic rule that answers questions like an extra worker. */
export interface PseudoRater {
  name: string;
  /** Its answer to each gold question (-1 = no answer). */
  gold: Int32Array;
  /** Its answer to each main question (-1 = no answer, e.g. outside its class range). */
  main: Int32Array;
  /** Truth its confusion is counted against (default: the workers' gold truth). */
  truth?: Int32Array;
}

export interface GoldScoreInput {
  /** Main answers; workers share the index space of `gold`. */
  answers: CompactAnswers;
  /** Crowd answers on the gold questions. */
  gold: CompactAnswers;
  /** Class of each gold question (-1 = unknown). */
  truth: Int32Array;
  spec: ModeSpec;
  /** Class prior; default the class frequencies of `truth`. */
  prior?: Float64Array;
  pseudoRaters?: PseudoRater[];
  /** Additive smoothing of the counts (default 1: add-one). */
  smoothing?: number;
  threads?: number;
  backend?: Backend;
}

export interface GoldScoreResult {
  posterior: Float64Array;
  prior: Float64Array;
  /** (numWorkers + pseudo-raters) × numClasses × numAnswers; pseudo-raters last. */
  confusion: Float64Array;
  /** Gold answers counted per worker (pseudo-raters last). */
  counts: Float64Array;
  logLikelihood: number;
}

/** Gold calibration + one scoring pass. */
export function goldScore(input: GoldScoreInput): GoldScoreResult {
  const p = goldParams(input);
  const { posterior, logLikelihood } = scorePass(p.main, p.prior, p.confusion, { threads: input.threads, backend: input.backend });
  return { posterior, prior: p.prior, confusion: p.confusion, counts: p.counts, logLikelihood };
}

/** The calibration alone: prior, confusions (pseudo-raters last) and the main answers with the pseudo-raters'. */
export function goldParams(input: GoldScoreInput): { prior: Float64Array; confusion: Float64Array; counts: Float64Array; main: CompactAnswers } {
  const { answers, gold, truth, spec } = input;
  const smoothing = input.smoothing ?? 1;
  const K = spec.numClasses;
  if (gold.numWorkers !== answers.numWorkers) {
    throw new ValidationError(`gold answers use ${gold.numWorkers} workers but the main answers ${answers.numWorkers}`);
  }
  const prior = input.prior ?? truthPrior(truth, K);
  const humans = goldConfusion(gold, truth, K, smoothing, input.backend);
  const pseudo = input.pseudoRaters ?? [];
  const W = answers.numWorkers;
  const KA = K * spec.numAnswers;
  const confusion = new Float64Array((W + pseudo.length) * KA);
  const counts = new Float64Array(W + pseudo.length);
  confusion.set(humans.confusion);
  counts.set(humans.counts);
  pseudo.forEach((p, j) => {
    const one = pseudoAnswers(p.gold, 0, gold.alphabet);
    const r = goldConfusion({ ...one, numQuestions: truth.length, numWorkers: 1 }, p.truth ?? truth, K, smoothing, input.backend);
    confusion.set(r.confusion, (W + j) * KA);
    counts[W + j] = r.counts[0];
  });
  const main = pseudo.length ? withPseudo(answers, pseudo) : answers;
  return { prior, confusion, counts, main };
}

/** Class frequencies of the known gold truths. */
export function truthPrior(truth: Int32Array, K: number): Float64Array {
  const prior = new Float64Array(K);
  let n = 0;
  for (const t of truth) {
    if (t < 0) continue;
    prior[t]++;
    n++;
  }
  if (n === 0) throw new ValidationError('the gold truth has no known question');
  for (let k = 0; k < K; k++) prior[k] /= n;
  return prior;
}

/** A pseudo-rater's answers (-1 = none) as compact answers of worker `w`. */
function pseudoAnswers(byQuestion: Int32Array, w: number, alphabet: string[]): CompactAnswers {
  let n = 0;
  for (const a of byQuestion) if (a >= 0) n++;
  const question = new Int32Array(n);
  const answer = new Int32Array(n);
  let j = 0;
  byQuestion.forEach((a, q) => {
    if (a < 0) return;
    question[j] = q;
    answer[j++] = a;
  });
  return { question, worker: new Int32Array(n).fill(w), answer, numQuestions: byQuestion.length, numWorkers: w + 1, alphabet };
}

/**
 * Main answers plus the pseudo-raters' answers (workers W, W+1, ...). Within
 * each question the pseudo-raters come after the workers, in either layout:
 * answers already grouped by question stay grouped (the kernel then skips its
 * sort), others get the pseudo answers appended.
 */
export function withPseudo(ans: CompactAnswers, pseudo: Pick<PseudoRater, 'name' | 'main'>[]): CompactAnswers {
  for (const p of pseudo) {
    if (p.main.length !== ans.numQuestions) {
      throw new ValidationError(`pseudo-rater ${p.name}: ${p.main.length} answers for ${ans.numQuestions} questions`);
    }
  }
  const cols = pseudo.map((p) => p.main);
  let extra = 0;
  for (const col of cols) for (let q = 0; q < col.length; q++) if (col[q] >= 0) extra++;
  const m = ans.question.length;
  const n = m + extra;
  const question = new Int32Array(n);
  const worker = new Int32Array(n);
  const answer = new Int32Array(n);
  const W = ans.numWorkers;
  const Q = ans.numQuestions;
  const [mq, mw, ma] = [ans.question, ans.worker, ans.answer];
  if (isGrouped(mq)) {
    let i = 0;
    let at = 0;
    for (let q = 0; q < Q; q++) {
      for (; i < m && mq[i] === q; i++, at++) {
        question[at] = q;
        worker[at] = mw[i];
        answer[at] = ma[i];
      }
      for (let j = 0; j < cols.length; j++) {
        const a = cols[j][q];
        if (a < 0) continue;
        question[at] = q;
        worker[at] = W + j;
        answer[at++] = a;
      }
    }
  } else {
    question.set(ans.question);
    worker.set(ans.worker);
    answer.set(ans.answer);
    let at = m;
    pseudo.forEach((p, j) => {
      p.main.forEach((a, q) => {
        if (a < 0) return;
        question[at] = q;
        worker[at] = W + j;
        answer[at++] = a;
      });
    });
  }
  return { question, worker, answer, numQuestions: ans.numQuestions, numWorkers: W + pseudo.length, alphabet: ans.alphabet };
}

/** True when the question indices never decrease. */
export function isGrouped(question: Int32Array): boolean {
  for (let i = 1; i < question.length; i++) if (question[i] < question[i - 1]) return false;
  return true;
}
