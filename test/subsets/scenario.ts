/** Simulated models + a gold set built from their truth, and a brute-force subset search. */
import { poolPairsSync, type PairSource } from '../../src/pool/pool';
import { proposeSync, type Proposals } from '../../src/propose/propose';
import { scanMatrix, type ModelScan } from '../../src/propose/scan';
import type { Gold } from '../../src/subsets/gold';
import { simulate, type SimulateOptions } from '../../src/simulate/simulate';
import { Rng } from '../../src/simulate/rng';
import type { Buckets } from '../../src/subsets/search-ts';
import type { UnknownPairs } from '../../src/subsets/problem';

export interface Scenario {
  proposals: Proposals;
  scans: ModelScan[];
  gold: Gold;
  n: number;
  c: number;
}

/**
 * Gold questions on `goldImages` random images: every truth label (yes from
 * 3-5 experts), plus a few wrong labels (0-2 yes), some of which models
 * propose and some not.
 */
export function scenario(opts: SimulateOptions & { goldImages: number; minVotes?: number }): Scenario {
  const sim = simulate(opts);
  const { n, c } = sim.plan;
  const k = 3 * n;
  const scans = sim.logits.map((l) => scanMatrix(l, n, c, k, { backend: 'ts' }));
  const proposals = proposeSync({ logits: sim.logits, n, c, original: sim.original, minVotes: opts.minVotes });
  const rng = new Rng(opts.seed ?? 0, 99);
  const images = new Set<number>();
  while (images.size < Math.min(opts.goldImages, n)) images.add(rng.int(n));
  const qImage: number[] = [];
  const qLabel: number[] = [];
  const yes: number[] = [];
  for (const i of [...images].sort((a, b) => a - b)) {
    const labels = new Set(sim.truth[i]);
    for (const lb of sim.truth[i]) {
      qImage.push(i);
      qLabel.push(lb);
      yes.push(3 + rng.int(3));
    }
    const wrong = 1 + rng.int(3);
    for (let w = 0; w < wrong && labels.size < c; w++) {
      const lb = (sim.original[i] + 1 + rng.int(c - 1)) % c;
      if (labels.has(lb)) continue;
      labels.add(lb);
      qImage.push(i);
      qLabel.push(lb);
      yes.push(rng.int(3));
    }
  }
  const gold: Gold = {
    file: 'gold.npz', experts: 5, minYes: 3,
    image: Int32Array.from(qImage), label: Int32Array.from(qLabel), yes: Int32Array.from(yes),
    positive: Uint8Array.from(yes, (y) => (y >= 3 ? 1 : 0)),
  };
  return { proposals, scans, gold, n, c };
}

export interface BruteScore {
  mask: number;
  tp: number;
  count: number;
  den: number;
}

/** Every non-empty subset, pooled again from scratch (TS pooling twin) on the gold images. */
export function bruteForce(s: Scenario, minVotes: number, unknown: UnknownPairs): BruteScore[] {
  const M = s.scans.length;
  const goldImages = new Set(s.gold.image);
  const truth = new Map<number, number>();
  s.gold.image.forEach((im, q) => truth.set(im * s.c + s.gold.label[q], s.gold.positive[q]));
  const out: BruteScore[] = [];
  for (let mask = 1; mask < 1 << M; mask++) {
    const members = Array.from({ length: M }, (_, m) => m).filter((m) => (mask >> m) & 1);
    const sources: PairSource[] = [];
    members.forEach((m, idx) => {
      sources.push({ image: s.scans[m].byLogit.image, label: s.scans[m].byLogit.label, model: idx });
      sources.push({ image: s.scans[m].byProb.image, label: s.scans[m].byProb.label, model: idx });
    });
    const forced = [...members.map((m) => s.scans[m].top1), s.proposals.original];
    const pooled = poolPairsSync({ n: s.n, c: s.c, models: members.length, sources, forced, minVotes }, { backend: 'ts' });
    let tp = 0;
    let count = 0;
    let inGold = 0;
    pooled.image.forEach((im, p) => {
      if (!goldImages.has(im)) return;
      count++;
      const t = truth.get(im * s.c + pooled.label[p]);
      if (t !== undefined) inGold++;
      if (t === 1) tp++;
    });
    out.push({ mask, tp, count, den: unknown === 'ignore' ? inGold : count });
  }
  return out;
}

function popcount(x: number): number {
  let c = 0;
  for (; x; x &= x - 1) c++;
  return c;
}

/** Per true-positive count, the best subset: fewest den, then count, then models, then mask. */
export function bruteBuckets(scores: BruteScore[], maxTp: number): Buckets {
  const b: Buckets = { mask: new Int32Array(maxTp + 1).fill(-1), count: new Int32Array(maxTp + 1), den: new Int32Array(maxTp + 1) };
  for (const s of scores) {
    const t = s.tp;
    const cur = b.mask[t];
    const key = (den: number, count: number, mask: number) => [den, count, popcount(mask), mask];
    const better = () => {
      const x = key(s.den, s.count, s.mask);
      const y = key(b.den[t], b.count[t], cur);
      for (let i = 0; i < 4; i++) if (x[i] !== y[i]) return x[i] < y[i];
      return false;
    };
    if (cur < 0 || better()) {
      b.mask[t] = s.mask;
      b.count[t] = s.count;
      b.den[t] = s.den;
    }
  }
  return b;
}
