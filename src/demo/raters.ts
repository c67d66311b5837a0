/**
 * Simulated crowd raters and experts, with answer confusions taken from the
 * real ReaL raters. The constants below were measured once on the ReaL
 * release (google-research/reassessed-imagenet, in ../shared/data) and are
 * checked against it by test/demo/rater-constants.test.ts:
 *
 * - Crowd confusions: raters_golden.npz (78 crowd raters x the 1,135 gold
 *   questions, every rater answered every question) against the gold truth
 *   t3 = at least 3 of the 5 experts in golden.npz said yes (248 present,
 *   887 absent). P(no, maybe, yes | present) pooled = [0.3207, 0.1660,
 *   0.5132]; per rater: mean the same, sd [0.128, 0.120, 0.156].
 *   P(no, maybe, yes | absent) pooled = [0.9118, 0.0475, 0.0407]; per rater
 *   sd [0.110, 0.039, 0.103]. (sd over raters with ddof = 1.)
 * - Workloads: answers per rater in raters.npz (85 raters, 924,810 answers,
 *   5 per question): p10 152, median 3,637, p90 31,583; log(count) has mean
 *   7.93 and sd 2.13. 78 of the 85 also answered the gold questions.
 * - Experts (golden.npz, yes/no only): P(yes | t3) pooled over the 5 experts
 *   = 0.873, P(yes | not t3) = 0.0345 (optimistic: t3 counts their own vote).
 *
 * Each simulated rater draws its two confusion rows from Dirichlet
 * distributions with those means, the concentration chosen so the summed
 * per-answer variance matches the measured sd; 5 raters answer each task
 * (as in the paper), picked with probability proportional to a log-normal
 * workload.
 */
import type { NdArray } from '../io/npy';
import type { Rng } from '../simulate/rng';
import { imageFileName } from '../io/imagenet-files';

export const PRESENT_MEAN = [0.3207, 0.166, 0.5132];
export const PRESENT_SD = [0.128, 0.12, 0.156];
export const ABSENT_MEAN = [0.9118, 0.0475, 0.0407];
export const ABSENT_SD = [0.11, 0.039, 0.103];
export const WORKLOAD_LOG_SD = 2.13;
export const RATERS_PER_TASK = 5;
/** ReaL: 85 raters gave 924,810 answers; 78 of them answered the gold set. */
export const REAL_RATERS = 85;
export const REAL_ANSWERS = 924810;
export const GOLD_RATER_SHARE = 78 / 85;
export const EXPERTS = 5;
export const EXPERT_YES_PRESENT = 0.873;
export const EXPERT_YES_ABSENT = 0.0345;
/** Floor on a simulated confusion probability (a Dirichlet draw can be ~0). */
const MIN_PROB = 0.002;

/** Answer probabilities (no, maybe, yes) of one rater. */
export interface Rater {
  present: number[];
  absent: number[];
  workload: number;
}

/** Marsaglia-Tsang gamma(shape, 1). */
function gamma(rng: Rng, shape: number): number {
  if (shape < 1) return gamma(rng, shape + 1) * (1 - rng.next()) ** (1 / shape);
  const d = shape - 1 / 3;
  const c = 1 / Math.sqrt(9 * d);
  for (;;) {
    const x = rng.normal();
    const v = (1 + c * x) ** 3;
    if (v <= 0) continue;
    const u = 1 - rng.next();
    if (Math.log(u) < 0.5 * x * x + d - d * v + d * Math.log(v)) return d * v;
  }
}

/** Dirichlet concentration whose per-component variances sum to sum(sd^2). */
export function concentration(mean: number[], sd: number[]): number {
  const spread = 1 - mean.reduce((s, m) => s + m * m, 0);
  return spread / sd.reduce((s, x) => s + x * x, 0) - 1;
}

function dirichlet(rng: Rng, mean: number[], alpha0: number): number[] {
  const g = mean.map((m) => gamma(rng, m * alpha0));
  const total = g.reduce((s, x) => s + x, 0);
  const p = g.map((x) => Math.max(MIN_PROB, x / total));
  const norm = p.reduce((s, x) => s + x, 0);
  return p.map((x) => x / norm);
}

/** The number of simulated raters: ReaL's answers per rater, at least 20, at most 85. */
export function raterCount(answers: number): number {
  return Math.min(REAL_RATERS, Math.max(20, Math.round((REAL_RATERS * answers) / REAL_ANSWERS)));
}

export function drawRaters(count: number, rng: Rng): Rater[] {
  const aP = concentration(PRESENT_MEAN, PRESENT_SD);
  const aA = concentration(ABSENT_MEAN, ABSENT_SD);
  return Array.from({ length: count }, () => ({
    present: dirichlet(rng, PRESENT_MEAN, aP),
    absent: dirichlet(rng, ABSENT_MEAN, aA),
    workload: Math.exp(WORKLOAD_LOG_SD * rng.normal()),
  }));
}

/** `k` distinct raters, each drawn with probability proportional to its workload among those left. */
export function pickRaters(raters: Rater[], k: number, rng: Rng): number[] {
  const left = raters.map((_, r) => r);
  const out: number[] = [];
  while (out.length < k && left.length) {
    let total = 0;
    for (const r of left) total += raters[r].workload;
    let u = rng.next() * total;
    let j = 0;
    while (j < left.length - 1 && (u -= raters[left[j]].workload) >= 0) j++;
    out.push(left[j]);
    left.splice(j, 1);
  }
  return out.sort((a, b) => a - b);
}

function draw(probs: number[], rng: Rng): number {
  let u = rng.next();
  for (let a = 0; a < probs.length - 1; a++) if ((u -= probs[a]) < 0) return a;
  return probs.length - 1;
}

/** One rater's answer (0 no, 1 maybe, 2 yes) to a question whose label is present or not. */
export function answer(rater: Rater, present: boolean, rng: Rng): number {
  return draw(present ? rater.present : rater.absent, rng);
}

/** An expert's yes (2) or no (0). */
export function expertAnswer(present: boolean, rng: Rng): number {
  return rng.next() < (present ? EXPERT_YES_PRESENT : EXPERT_YES_ABSENT) ? 2 : 0;
}

/** Sparse answers: rater[i] answered `answer[i]` to question[i]. */
export interface SparseAnswers {
  question: Int32Array;
  rater: Int32Array;
  answer: Int32Array;
}

/**
 * The ReaL release layout (raters.npz, golden.npz): `tensor` float64
 * [R, Q, 3] one-hot answers (no, maybe, yes), all zeros where a rater did
 * not answer; `info` [Q, 2] (file name, label); `ids` int64 [R].
 */
export function ratersLayout(image: Int32Array, label: Int32Array, ids: number[], a: SparseAnswers): Record<string, NdArray> {
  const Q = image.length;
  const R = ids.length;
  const tensor = new Float64Array(R * Q * 3);
  for (let i = 0; i < a.question.length; i++) tensor[(a.rater[i] * Q + a.question[i]) * 3 + a.answer[i]] = 1;
  const info: string[] = [];
  for (let q = 0; q < Q; q++) info.push(imageFileName(image[q]), String(label[q]));
  return {
    tensor: { dtype: 'f8', shape: [R, Q, 3], data: tensor },
    info: { dtype: 'U28', shape: [Q, 2], data: info },
    ids: { dtype: 'i8', shape: [R], data: BigInt64Array.from(ids, (x) => BigInt(x)) },
  };
}
