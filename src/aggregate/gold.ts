/**
 * Gold-calibrated scoring: worker confusions counted on gold questions (with
 * additive smoothing), then one Dawid–Skene scoring pass over the main
 * answers. Pseudo-raters (deterministic rules such as "the label is the
 * image's original label") get their own confusion, counted on the gold set
 * against their own truth.
 */
import { ValidationError } from '../errors';
import { runNativeAsync, withBackend, type Backend, type KernelOptions } from '../native/addon';
import { runTwin } from '../util/workers';
import { goldConfusionTs, scorePassTs } from './gold-ts';
import { checkCompact, checkSizes, type CompactAnswers, type ModeSpec } from './problem';

export interface GoldConfusionResult {
  /** numWorkers × numClasses × numAnswers. */
  confusion: Float64Array;
  /** Counted gold answers per worker (0 = got the mean of the others' rows). */
  counts: Float64Array;
}

export interface GoldConfusionOptions extends KernelOptions {
  /** Additive smoothing of the counts (default 1: add-one). */
  smoothing?: number;
}

/**
 * Confusions counted on gold answers, on the calling thread. `gold.question`
 * indexes `truth` (class per gold question, -1 = unknown, skipped). Workers
 * without counted answers get the mean of the other workers' rows.
 */
export function goldConfusionSync(
  gold: CompactAnswers, truth: Int32Array, numClasses: number, opts: GoldConfusionOptions = {},
): GoldConfusionResult {
  const args = goldArgs(gold, truth, numClasses, opts.smoothing ?? 1);
  return withBackend(opts.backend, {
    native: (addon) => addon.aggGoldConfusion(...args),
    twin: () => {
      checkGoldTwin(gold, truth, numClasses, args[7]);
      return goldConfusionTs(...args);
    },
  });
}

/** Confusions counted on gold answers, off the event loop (native on libuv's pool, the twin in a worker). */
export async function goldConfusion(
  gold: CompactAnswers, truth: Int32Array, numClasses: number, opts: GoldConfusionOptions = {},
): Promise<GoldConfusionResult> {
  const args = goldArgs(gold, truth, numClasses, opts.smoothing ?? 1);
  return withBackend(opts.backend, {
    native: (addon) => runNativeAsync(opts.signal, (flag) => addon.aggGoldConfusionAsync(...args, flag)),
    twin: () => {
      checkGoldTwin(gold, truth, numClasses, args[7]);
      return runTwin<GoldConfusionResult>('aggGoldConfusion', [...args], opts.signal);
    },
  });
}

function goldArgs(gold: CompactAnswers, truth: Int32Array, numClasses: number, smoothing: number) {
  if (gold.numQuestions !== truth.length) {
    throw new ValidationError(`gold truth has ${truth.length} questions but the gold answers have ${gold.numQuestions}`);
  }
  return [gold.question, gold.worker, gold.answer, truth, gold.numWorkers, gold.alphabet.length, numClasses, smoothing] as const;
}

/** The checks native runs in C++, for the twin. */
function checkGoldTwin(gold: CompactAnswers, truth: Int32Array, numClasses: number, smoothing: number): void {
  checkSizes(truth.length, gold.numWorkers, gold.alphabet.length, numClasses);
  checkCompact(gold, 'gold answers');
  if (!(smoothing >= 0 && Number.isFinite(smoothing))) throw new ValidationError('smoothing must be a finite number >= 0');
  truth.forEach((t, i) => {
    if (!(t >= -1 && t < numClasses)) throw new ValidationError(`truth[${i}] = ${t} is out of range [-1, ${numClasses})`);
  });
}

export interface ScorePassOptions extends KernelOptions {
  /** Native threads (0 = all cores); never changes the result. */
  threads?: number;
  /**
   * Question block bounds (0, ..., numQuestions) whose log-likelihoods come
   * back one by one as blockLogLikelihood (a shard of the sharded EM, src/cluster).
   */
  blockStarts?: Int32Array;
}

export interface ScorePassResult {
  posterior: Float64Array;
  logLikelihood: number;
  /** Per block of `blockStarts`, when given. */
  blockLogLikelihood?: Float64Array;
}

/** One scoring pass (an E-step) with fixed prior and confusions, on the calling thread. */
export function scorePassSync(
  ans: CompactAnswers, prior: Float64Array, confusion: Float64Array, opts: ScorePassOptions = {},
): ScorePassResult {
  const args = scoreArgs(ans, prior, confusion, opts);
  return withBackend(opts.backend, {
    native: (addon) => addon.aggScore(...args),
    twin: () => {
      checkScoreTwin(ans, prior, confusion, opts.blockStarts);
      return scorePassTs(ans.question, ans.worker, ans.answer, ans.numQuestions, prior, confusion, ans.numWorkers, ans.alphabet.length, opts.blockStarts);
    },
  });
}

/** One scoring pass off the event loop (native on libuv's pool, the twin in a worker). */
export async function scorePass(
  ans: CompactAnswers, prior: Float64Array, confusion: Float64Array, opts: ScorePassOptions = {},
): Promise<ScorePassResult> {
  const args = scoreArgs(ans, prior, confusion, opts);
  return withBackend(opts.backend, {
    native: (addon) => runNativeAsync(opts.signal, (flag) => addon.aggScoreAsync(...args, flag)),
    twin: () => {
      checkScoreTwin(ans, prior, confusion, opts.blockStarts);
      const twinArgs = [ans.question, ans.worker, ans.answer, ans.numQuestions, prior, confusion, ans.numWorkers, ans.alphabet.length, opts.blockStarts];
      return runTwin<ScorePassResult>('aggScore', twinArgs, opts.signal);
    },
  });
}

function scoreArgs(ans: CompactAnswers, prior: Float64Array, confusion: Float64Array, opts: ScorePassOptions) {
  const { question, worker, answer, numQuestions, numWorkers, alphabet } = ans;
  return [question, worker, answer, numQuestions, prior, confusion, numWorkers, alphabet.length, opts.threads ?? 0, opts.blockStarts] as const;
}

/** The checks native runs in C++, for the twin. */
function checkScoreTwin(ans: CompactAnswers, prior: Float64Array, confusion: Float64Array, blockStarts?: Int32Array): void {
  const A = ans.alphabet.length;
  if (prior.length < 1) throw new ValidationError('prior: expected at least one class');
  checkSizes(ans.numQuestions, ans.numWorkers, A, prior.length);
  checkCompact(ans);
  if (confusion.length !== ans.numWorkers * prior.length * A) {
    throw new ValidationError('confusion: expected numWorkers * numClasses * numAnswers values');
  }
  for (const x of [...prior, ...confusion]) {
    if (!(x >= 0 && Number.isFinite(x))) throw new ValidationError('prior and confusion must be finite non-negative numbers');
  }
  if (blockStarts) {
    const nb = blockStarts.length - 1;
    if (nb < 1 || blockStarts[0] !== 0 || blockStarts[nb] !== ans.numQuestions) throw new ValidationError('blockStarts: expected 0, ..., numQuestions');
    for (let b = 0; b < nb; b++) if (blockStarts[b + 1] < blockStarts[b]) throw new ValidationError('blockStarts: must not decrease');
  }
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

/** Gold calibration + one scoring pass, on the calling thread. */
export function goldScoreSync(input: GoldScoreInput): GoldScoreResult {
  const p = goldParams(input);
  const { posterior, logLikelihood } = scorePassSync(p.main, p.prior, p.confusion, { threads: input.threads, backend: input.backend });
  return { posterior, prior: p.prior, confusion: p.confusion, counts: p.counts, logLikelihood };
}

/** The calibration alone (on the calling thread): prior, confusions (pseudo-raters last) and the main answers with the pseudo-raters'. */
export function goldParams(input: GoldScoreInput): { prior: Float64Array; confusion: Float64Array; counts: Float64Array; main: CompactAnswers } {
  const plan = goldPlan(input);
  const { backend } = input;
  const smoothing = plan.smoothing;
  const humans = goldConfusionSync(input.gold, input.truth, plan.K, { smoothing, backend });
  const pseudo = plan.pseudo.map((p) => goldConfusionSync(p.answers, p.truth, plan.K, { smoothing, backend }));
  return { prior: plan.prior, ...plan.combine(humans, pseudo) };
}

/** Gold calibration + one scoring pass, off the event loop. */
export async function goldScore(input: GoldScoreInput & Pick<KernelOptions, 'signal'>): Promise<GoldScoreResult> {
  const plan = goldPlan(input);
  const { backend, signal } = input;
  const smoothing = plan.smoothing;
  const humans = await goldConfusion(input.gold, input.truth, plan.K, { smoothing, backend, signal });
  const pseudo = await Promise.all(plan.pseudo.map((p) => goldConfusion(p.answers, p.truth, plan.K, { smoothing, backend, signal })));
  const { main, confusion, counts } = plan.combine(humans, pseudo);
  const { posterior, logLikelihood } = await scorePass(main, plan.prior, confusion, { threads: input.threads, backend, signal });
  return { posterior, prior: plan.prior, confusion, counts, logLikelihood };
}

/** The kernel calls of goldScore and how their results combine (shared by both forms). */
function goldPlan(input: GoldScoreInput) {
  const { answers, gold, truth, spec } = input;
  const smoothing = input.smoothing ?? 1;
  const K = spec.numClasses;
  if (gold.numWorkers !== answers.numWorkers) {
    throw new ValidationError(`gold answers use ${gold.numWorkers} workers but the main answers ${answers.numWorkers}`);
  }
  const prior = input.prior ?? truthPrior(truth, K);
  const raters = input.pseudoRaters ?? [];
  const pseudo = raters.map((p) => ({
    answers: { ...pseudoAnswers(p.gold, 0, gold.alphabet), numQuestions: truth.length, numWorkers: 1 },
    truth: p.truth ?? truth,
  }));
  const combine = (humans: GoldConfusionResult, perRater: GoldConfusionResult[]) => {
    const W = answers.numWorkers;
    const KA = K * spec.numAnswers;
    const confusion = new Float64Array((W + raters.length) * KA);
    const counts = new Float64Array(W + raters.length);
    confusion.set(humans.confusion);
    counts.set(humans.counts);
    perRater.forEach((r, j) => {
      confusion.set(r.confusion, (W + j) * KA);
      counts[W + j] = r.counts[0];
    });
    const main = raters.length ? withPseudo(answers, raters) : answers;
    return { main, confusion, counts };
  };
  return { K, smoothing, prior, pseudo, combine };
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
