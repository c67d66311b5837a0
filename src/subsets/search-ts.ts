/**
 * Pure-TypeScript twin of native/subsets.cc (the exhaustive subset search),
 * plus the single-subset evaluation the greedy search uses. For each number
 * of true positives t, the best subset: fewest denominator pairs, then fewest
 * proposals, then fewest models, then the lowest mask.
 */
import type { SubsetProblem } from './problem';

export interface Buckets {
  /** Index t = true positives; mask -1 where no subset reaches exactly t. */
  mask: Int32Array;
  count: Int32Array;
  den: Int32Array;
}

export function popcount32(x: number): number {
  x -= (x >>> 1) & 0x55555555;
  x = (x & 0x33333333) + ((x >>> 2) & 0x33333333);
  return (Math.imul((x + (x >>> 4)) & 0x0f0f0f0f, 0x01010101) >>> 24) as number;
}

export function better(den: number, count: number, mask: number, b: Buckets, t: number): boolean {
  if (b.mask[t] < 0) return true;
  if (den !== b.den[t]) return den < b.den[t];
  if (count !== b.count[t]) return count < b.count[t];
  const pa = popcount32(mask);
  const pb = popcount32(b.mask[t]);
  if (pa !== pb) return pa < pb;
  return mask < b.mask[t];
}

export interface Score {
  tp: number;
  count: number;
  den: number;
}

/** Adds model m to the vote planes ge[1..V] (slot v - 1) and the forced union (slot V). */
function addModel(pr: SubsetProblem, src: Uint32Array, dst: Uint32Array, m: number): void {
  const W = pr.words;
  const V = pr.minVotes;
  const off = m * W;
  for (let w = 0; w < W; w++) {
    const A = pr.a[off + w];
    const B = pr.b[off + w];
    let prev2 = 0xffffffff;
    let prev1 = 0xffffffff;
    for (let v = 1; v <= V; v++) {
      const cur = src[(v - 1) * W + w];
      dst[(v - 1) * W + w] = cur | (prev1 & A) | (prev2 & B);
      prev2 = prev1;
      prev1 = cur;
    }
    dst[V * W + w] = src[V * W + w] | pr.f[off + w];
  }
}

function score(pr: SubsetProblem, s: Uint32Array): Score {
  const W = pr.words;
  const V = pr.minVotes;
  let count = 0;
  let tp = 0;
  let inGold = 0;
  for (let w = 0; w < W; w++) {
    const proposed = s[(V - 1) * W + w] | s[V * W + w] | pr.base[w];
    count += popcount32(proposed);
    tp += popcount32(proposed & pr.pos[w]);
    inGold += popcount32(proposed & pr.gold[w]);
  }
  return { tp, count, den: pr.unknown === 'ignore' ? inGold : count };
}

function stateSize(pr: SubsetProblem): number {
  return (pr.minVotes + 1) * pr.words;
}

/** Scores one subset, given as model indices. */
export function evaluateSubset(pr: SubsetProblem, models: readonly number[]): Score {
  let s = new Uint32Array(stateSize(pr));
  let t = new Uint32Array(stateSize(pr));
  for (const m of models) {
    addModel(pr, s, t, m);
    [s, t] = [t, s];
  }
  return score(pr, s);
}

export function emptyBuckets(maxTp: number): Buckets {
  return { mask: new Int32Array(maxTp + 1).fill(-1), count: new Int32Array(maxTp + 1), den: new Int32Array(maxTp + 1) };
}

/** Exhaustive search over the 2^M - 1 non-empty subsets (M <= 24), depth-first. */
export function exhaustiveTs(pr: SubsetProblem): Buckets {
  if (pr.models > 24) throw new RangeError(`exhaustive search is limited to 24 models, got ${pr.models}`);
  const b = emptyBuckets(pr.maxTp);
  const stack = Array.from({ length: pr.models + 1 }, () => new Uint32Array(stateSize(pr)));
  const walk = (level: number, next: number, mask: number): void => {
    for (let m = next; m < pr.models; m++) {
      addModel(pr, stack[level], stack[level + 1], m);
      const sub = mask | (1 << m);
      const s = score(pr, stack[level + 1]);
      if (better(s.den, s.count, sub, b, s.tp)) {
        b.mask[s.tp] = sub;
        b.count[s.tp] = s.count;
        b.den[s.tp] = s.den;
      }
      walk(level + 1, m + 1, sub);
    }
  };
  walk(0, 0, 0);
  return b;
}
