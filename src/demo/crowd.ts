/**
 * The demo's human side: a gold set answered by simulated experts, and the
 * rating tasks answered by simulated crowd raters (see raters.ts), in the
 * ReaL release's file layouts (golden.npz, raters.npz, raters_golden.npz).
 */
import type { NdArray } from '../io/npy';
import type { Proposals } from '../propose/propose';
import { Rng } from '../simulate/rng';
import type { Task } from '../tasks/tasks';
import {
  answer, drawRaters, EXPERTS, expertAnswer, GOLD_RATER_SHARE, pickRaters, raterCount, RATERS_PER_TASK, ratersLayout,
  type Rater, type SparseAnswers,
} from './raters';

/** The published gold set: 155 images of the 50,000. */
export const REAL_GOLD_IMAGES = 155;
export const REAL_IMAGES = 50000;
/** The demo's gold set has at least this many images (a scaled-down 155 would be too few to calibrate). */
export const MIN_GOLD_IMAGES = 40;

const STREAM_GOLD = 101;
const STREAM_EXPERTS = 102;
const STREAM_RATERS = 103;
const STREAM_ASSIGN = 104;
const STREAM_GOLD_RATERS = 105;

export interface GoldSet {
  /** Questions: (image, label), sorted by image then label. */
  image: Int32Array;
  label: Int32Array;
  images: number;
  positives: number;
  /** golden.npz: 5 experts' yes/no answers. */
  file: Record<string, NdArray>;
}

function sparse(question: number[], rater: number[], ans: number[]): SparseAnswers {
  return { question: Int32Array.from(question), rater: Int32Array.from(rater), answer: Int32Array.from(ans) };
}

function present(truth: number[][], image: number, label: number): boolean {
  return truth[image].includes(label);
}

/** Images whose every model's top-1 is the original label: `tasks` does not rate them. */
export function agreeingImages(p: Proposals): Uint8Array {
  const M = p.modelNames.length;
  const agree = new Uint8Array(p.n);
  for (let i = 0; i < p.n; i++) {
    let all = true;
    for (let m = 0; m < M && all; m++) all = p.top1[m * p.n + i] === p.original[i];
    agree[i] = all ? 1 : 0;
  }
  return agree;
}

/**
 * Gold images: the published share of the images (at least MIN_GOLD_IMAGES),
 * drawn among the images that get rated. Their questions: every pair any
 * model proposed, plus the truly present labels no model proposed (so recall
 * counts what the proposals miss). Experts answer each.
 */
export function goldSet(p: Proposals, truth: number[][], seed: number): GoldSet {
  const candidates: number[] = [];
  const agree = agreeingImages(p);
  for (let i = 0; i < p.n; i++) if (!agree[i]) candidates.push(i);
  const want = Math.min(candidates.length, Math.max(MIN_GOLD_IMAGES, Math.round((REAL_GOLD_IMAGES * p.n) / REAL_IMAGES)));
  const rng = new Rng(seed, STREAM_GOLD);
  for (let k = 0; k < want; k++) {
    const j = k + rng.int(candidates.length - k); // partial Fisher-Yates
    [candidates[k], candidates[j]] = [candidates[j], candidates[k]];
  }
  const gold = candidates.slice(0, want).sort((a, b) => a - b);
  const labels = new Map<number, Set<number>>(gold.map((i) => [i, new Set(truth[i])]));
  for (let q = 0; q < p.image.length; q++) labels.get(p.image[q])?.add(p.label[q]);
  const image: number[] = [];
  const label: number[] = [];
  for (const i of gold) for (const l of [...labels.get(i)!].sort((a, b) => a - b)) image.push(i), label.push(l);
  const experts = new Rng(seed, STREAM_EXPERTS);
  const [qs, rs, as]: number[][] = [[], [], []];
  let positives = 0;
  image.forEach((i, q) => {
    let yes = 0;
    for (let e = 0; e < EXPERTS; e++) {
      const a = expertAnswer(present(truth, i, label[q]), experts);
      if (a === 2) yes++;
      qs.push(q), rs.push(e), as.push(a);
    }
    if (yes >= 3) positives++;
  });
  const img = Int32Array.from(image);
  const lab = Int32Array.from(label);
  const ids = Array.from({ length: EXPERTS }, (_, e) => 900001 + e);
  return { image: img, label: lab, images: gold.length, positives, file: ratersLayout(img, lab, ids, sparse(qs, rs, as)) };
}

export interface CrowdResult {
  /** Questions in task order. */
  image: Int32Array;
  label: Int32Array;
  raters: number;
  answers: number;
  goldRaters: number;
  goldAnswers: number;
  /** Answers per rater: 10th, 50th, 90th percentile. */
  answersPerRater: { p10: number; median: number; p90: number };
  /** raters.npz and raters_golden.npz. */
  main: Record<string, NdArray>;
  gold: Record<string, NdArray>;
}

function percentile(sorted: number[], p: number): number {
  return sorted.length ? sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))] : 0;
}

/**
 * Every task goes to RATERS_PER_TASK raters, who answer each of its
 * questions; the gold raters (ReaL's 78 of 85) also answer every gold
 * question.
 */
export function crowd(tasks: readonly Task[], gold: GoldSet, truth: number[][], seed: number): CrowdResult {
  const image: number[] = [];
  const label: number[] = [];
  for (const t of tasks) for (const l of t.labels) image.push(t.image), label.push(l.label);
  const raters = drawRaters(raterCount(RATERS_PER_TASK * image.length), new Rng(seed, STREAM_RATERS));
  const ids = raters.map((_, r) => 100001 + r);
  const rng = new Rng(seed, STREAM_ASSIGN);
  const [qs, rs, as]: number[][] = [[], [], []];
  const perRater = new Array<number>(raters.length).fill(0);
  let q = 0;
  for (const t of tasks) {
    const who = pickRaters(raters, RATERS_PER_TASK, rng);
    for (const l of t.labels) {
      const isPresent = present(truth, t.image, l.label);
      for (const r of who) {
        qs.push(q), rs.push(r), as.push(answer(raters[r], isPresent, rng));
        perRater[r]++;
      }
      q++;
    }
  }
  const img = Int32Array.from(image);
  const lab = Int32Array.from(label);
  const goldCrowd = goldAnswers(raters, gold, truth, seed);
  const counts = perRater.slice().sort((a, b) => a - b);
  return {
    image: img, label: lab, raters: raters.length, answers: qs.length,
    goldRaters: goldCrowd.ids.length, goldAnswers: goldCrowd.answers.question.length,
    answersPerRater: { p10: percentile(counts, 0.1), median: percentile(counts, 0.5), p90: percentile(counts, 0.9) },
    main: ratersLayout(img, lab, ids, sparse(qs, rs, as)),
    gold: ratersLayout(gold.image, gold.label, goldCrowd.ids.map((r) => ids[r]), goldCrowd.answers),
  };
}

/** The gold raters, drawn at random, answer every gold question. Returns their (sorted) indices and answers. */
function goldAnswers(raters: Rater[], gold: GoldSet, truth: number[][], seed: number): { ids: number[]; answers: SparseAnswers } {
  const rng = new Rng(seed, STREAM_GOLD_RATERS);
  const order = raters.map((_, r) => r);
  for (let k = order.length - 1; k > 0; k--) {
    const j = rng.int(k + 1);
    [order[k], order[j]] = [order[j], order[k]];
  }
  const chosen = order.slice(0, Math.max(1, Math.round(GOLD_RATER_SHARE * raters.length))).sort((a, b) => a - b);
  const [qs, rs, as]: number[][] = [[], [], []];
  chosen.forEach((r, row) => {
    for (let q = 0; q < gold.image.length; q++) {
      qs.push(q), rs.push(row), as.push(answer(raters[r], present(truth, gold.image[q], gold.label[q]), rng));
    }
  });
  return { ids: chosen, answers: sparse(qs, rs, as) };
}
