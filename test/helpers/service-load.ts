/**
 * A service's load for the async tests: M models' logits [n, c] in memory
 * with a signal on each image's true label, original labels (a few wrong),
 * and simulated raters' answers to proposed pairs. Shared by
 * test/api/event-loop.test.ts and test/api/async.test.ts.
 */
import type { AnswersInput } from '../../src/aggregate/memory';
import { rng } from './rng';

export interface Load {
  n: number;
  c: number;
  logits: Float32Array[];
  truth: Int32Array;
  original: Int32Array;
}

/** Logits: noise in [0, 4) plus 3 on the true label for ~80% of images (a cheap xorshift, ~1 s per 50M values). */
export function serviceLoad(n: number, c: number, models: number, seed = 1): Load {
  const r = rng(seed);
  const truth = Int32Array.from({ length: n }, () => Math.floor(r() * c));
  const original = Int32Array.from(truth, (t) => (r() < 0.05 ? (t + 1) % c : t));
  const logits = Array.from({ length: models }, (_, m) => {
    const data = new Float32Array(n * c);
    let x = (seed * 7919 + m * 104729 + 1) >>> 0;
    for (let i = 0; i < data.length; i++) {
      x ^= x << 13;
      x ^= x >>> 17;
      x ^= x << 5;
      data[i] = ((x >>> 0) / 4294967296) * 4;
    }
    for (let i = 0; i < n; i++) if (r() < 0.8) data[i * c + truth[i]] += 3;
    return data;
  });
  return { n, c, logits, truth, original };
}

/** Three raters per pair: "yes" (2) to a true label 90% of the time, to a wrong one 5%; else "no" (0). */
export function rateProposals(image: Int32Array, label: Int32Array, truth: Int32Array, seed = 2): AnswersInput {
  const r = rng(seed);
  const Q = image.length;
  const question = new Int32Array(3 * Q);
  const worker = new Int32Array(3 * Q);
  const answer = new Int32Array(3 * Q);
  for (let q = 0; q < Q; q++) {
    const present = truth[image[q]] === label[q];
    for (let w = 0; w < 3; w++) {
      question[3 * q + w] = q;
      worker[3 * q + w] = (q + w) % 7;
      answer[3 * q + w] = r() < (present ? 0.9 : 0.05) ? 2 : 0;
    }
  }
  return { question, worker, answer, image, label };
}
