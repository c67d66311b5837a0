/**
 * The subset-search problem as bitsets over candidate pairs: the proposals on
 * gold images (every pair any subset of the models can propose there, since
 * votes only grow with the subset and every top-1 is in the file).
 */
import { UsageError, ValidationError } from '../errors';
import type { Proposals } from '../propose/propose';
import type { GoldQuestions } from './gold';

export type UnknownPairs = 'negative' | 'ignore';

export interface SubsetProblem {
  names: string[];
  models: number;
  minVotes: number;
  /** 32-bit words per bitset. */
  words: number;
  /** Candidate pairs (bits), sorted by (image, label). */
  image: Int32Array;
  label: Int32Array;
  /** Per model m, bitset at [m * words, (m + 1) * words): proposed by >= 1 source / by both / m's top-1. */
  a: Uint32Array;
  b: Uint32Array;
  f: Uint32Array;
  /** Original labels (always proposed), gold positives, gold questions. */
  base: Uint32Array;
  pos: Uint32Array;
  gold: Uint32Array;
  /** Gold positives in all, proposable or not (the recall denominator). */
  positives: number;
  /** Gold positives among the candidates (the most any subset can find). */
  maxTp: number;
  goldImages: number;
  goldQuestions: number;
  /** Precision's denominator: 'negative' = all proposed pairs (pairs outside the gold questions count as wrong), 'ignore' = proposed gold questions. */
  unknown: UnknownPairs;
}

function setBit(bits: Uint32Array, offset: number, i: number): void {
  bits[offset + (i >>> 5)] |= 1 << (i & 31);
}

function hasBit(mask: Uint32Array, words: number, p: number, m: number): boolean {
  return ((mask[p * words + (m >>> 5)] >>> (m & 31)) & 1) === 1;
}

export function buildProblem(p: Proposals, gold: GoldQuestions, opts: { minVotes?: number; unknown?: UnknownPairs } = {}): SubsetProblem {
  const minVotes = opts.minVotes ?? p.minVotes;
  if (!Number.isInteger(minVotes) || minVotes < p.minVotes) {
    throw new UsageError(`\`minVotes\` ${minVotes} is below the proposals' min_votes ${p.minVotes}: pairs with fewer votes were not kept`);
  }
  const key = (im: number, lb: number) => im * p.c + lb;
  const truth = new Map<number, number>();
  const goldImages = new Set<number>();
  let positives = 0;
  for (let q = 0; q < gold.image.length; q++) {
    if (gold.image[q] >= p.n || gold.label[q] >= p.c) {
      throw new ValidationError(
        `question ${q} (image ${gold.image[q]}, label ${gold.label[q]}) is outside the proposals' ${p.n} images x ${p.c} classes`, gold.file,
      );
    }
    truth.set(key(gold.image[q], gold.label[q]), gold.positive[q]);
    goldImages.add(gold.image[q]);
    positives += gold.positive[q];
  }
  const cand: number[] = [];
  for (let i = 0; i < p.image.length; i++) if (goldImages.has(p.image[i])) cand.push(i);
  const M = p.modelNames.length;
  const words = Math.max(1, Math.ceil(cand.length / 32));
  const pr: SubsetProblem = {
    names: p.modelNames, models: M, minVotes, words,
    image: Int32Array.from(cand, (i) => p.image[i]), label: Int32Array.from(cand, (i) => p.label[i]),
    a: new Uint32Array(M * words), b: new Uint32Array(M * words), f: new Uint32Array(M * words),
    base: new Uint32Array(words), pos: new Uint32Array(words), gold: new Uint32Array(words),
    positives, maxTp: 0, goldImages: goldImages.size, goldQuestions: gold.image.length, unknown: opts.unknown ?? 'negative',
  };
  cand.forEach((i, bit) => {
    const im = p.image[i];
    const lb = p.label[i];
    for (let m = 0; m < M; m++) {
      if (hasBit(p.models, p.words, i, m)) setBit(pr.a, m * words, bit);
      if (hasBit(p.modelsBoth, p.words, i, m)) setBit(pr.b, m * words, bit);
      if (p.top1[m * p.n + im] === lb) setBit(pr.f, m * words, bit);
    }
    if (p.original[im] === lb) setBit(pr.base, 0, bit);
    const t = truth.get(key(im, lb));
    if (t !== undefined) setBit(pr.gold, 0, bit);
    if (t === 1) {
      setBit(pr.pos, 0, bit);
      pr.maxTp++;
    }
  });
  return pr;
}
