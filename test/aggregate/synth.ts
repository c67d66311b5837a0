/** Seeded synthetic crowdsourcing problems with known worker confusions. */
import type { CompactAnswers } from '../../src/aggregate/problem';

import { rng } from '../helpers/rng';

export { rng };

function draw(r: () => number, p: ArrayLike<number>, at = 0, len = p.length): number {
  let u = r();
  for (let i = 0; i < len - 1; i++) {
    u -= p[at + i];
    if (u < 0) return i;
  }
  return len - 1;
}

export interface Synthetic {
  answers: CompactAnswers;
  truth: Int32Array;
  /** W × K × A true confusions. */
  confusion: Float64Array;
  prior: Float64Array;
}

export interface SynthOptions {
  Q: number;
  W: number;
  K: number;
  A: number;
  perQuestion: number;
  seed: number;
  prior?: number[];
  /** Diagonal mass: answer values that "match" the truth class get this much. */
  accuracy?: [number, number];
  /** Verification-like: truth k matches answer k === 0 ? 0 : A-1. */
  verification?: boolean;
}

/** Draws truths, per-worker confusions and `perQuestion` distinct workers per question. */
export function synthetic(o: SynthOptions): Synthetic {
  const r = rng(o.seed);
  const { Q, W, K, A } = o;
  const prior = new Float64Array(o.prior ?? new Array(K).fill(1 / K));
  const [lo, hi] = o.accuracy ?? [0.6, 0.95];
  const confusion = new Float64Array(W * K * A);
  for (let w = 0; w < W; w++) {
    for (let k = 0; k < K; k++) {
      const right = o.verification ? (k === 0 ? 0 : A - 1) : k;
      const acc = lo + (hi - lo) * r();
      const rest = new Array(A).fill(0).map(() => 0.2 + r());
      rest[right] = 0;
      const s = rest.reduce((x, y) => x + y, 0);
      for (let a = 0; a < A; a++) confusion[(w * K + k) * A + a] = a === right ? acc : ((1 - acc) * rest[a]) / s;
    }
  }
  const truth = new Int32Array(Q);
  const q: number[] = [];
  const wk: number[] = [];
  const an: number[] = [];
  for (let i = 0; i < Q; i++) {
    truth[i] = draw(r, prior);
    const chosen = new Set<number>();
    while (chosen.size < Math.min(o.perQuestion, W)) chosen.add(Math.floor(r() * W));
    for (const w of chosen) {
      q.push(i);
      wk.push(w);
      an.push(draw(r, confusion, (w * K + truth[i]) * A, A));
    }
  }
  const alphabet = Array.from({ length: A }, (_, a) => String(a));
  return {
    answers: { question: Int32Array.from(q), worker: Int32Array.from(wk), answer: Int32Array.from(an), numQuestions: Q, numWorkers: W, alphabet },
    truth,
    confusion,
    prior,
  };
}
