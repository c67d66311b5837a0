/** Shared helpers of the top-K tests: seeded matrices and a brute-force reference. */
import { expNonPositive, rowLse } from '../../src/topk/topk-math';
import type { Criterion, Pairs } from '../../src/topk/topk';

import { rng } from '../helpers/rng';

export { rng };

/**
 * An [n, c] matrix with planted ties: values on a coarse grid (many equal
 * entries, within and across rows), some duplicated rows, and ±0.
 */
export function tiedMatrix(n: number, c: number, seed: number, f64 = false): Float32Array | Float64Array {
  const r = rng(seed);
  const d = f64 ? new Float64Array(n * c) : new Float32Array(n * c);
  for (let i = 0; i < d.length; i++) d[i] = Math.round((r() * 2 - 1) * 12) / 4; // 97 levels in [-3, 3]
  for (let row = 1; row < n; row++) {
    if (r() < 0.1) d.copyWithin(row * c, (row - 1) * c, row * c); // duplicate the previous row
  }
  for (let i = 0; i < d.length; i += 7) if (d[i] === 0) d[i] = r() < 0.5 ? -0 : 0;
  return d;
}

/** A continuous (Gaussian-ish) matrix with logit-like spread. */
export function smoothMatrix(n: number, c: number, seed: number, scale = 3): Float32Array {
  const r = rng(seed);
  const d = new Float32Array(n * c);
  for (let i = 0; i < d.length; i++) d[i] = (r() + r() + r() - 1.5) * scale;
  return d;
}

/** Brute force: every key, sorted (key descending, flat index ascending), first k. */
export function referenceTopK(data: Float32Array | Float64Array, n: number, c: number, k: number, criterion: Criterion): Pairs {
  const keys = new Float64Array(n * c);
  for (let row = 0; row < n; row++) {
    const lse = criterion === 'prob' ? rowLse(data, row * c, c) : 0;
    // The spec reports zero as +0 (-0 and +0 tie).
    for (let j = 0; j < c; j++) keys[row * c + j] = data[row * c + j] - lse + 0;
  }
  const order = Array.from({ length: n * c }, (_, i) => i);
  order.sort((a, b) => (keys[a] !== keys[b] ? keys[b] - keys[a] : a - b));
  const out: Pairs = { image: new Int32Array(k), label: new Int32Array(k), value: new Float32Array(k) };
  for (let i = 0; i < k; i++) {
    const at = order[i];
    out.image[i] = Math.floor(at / c);
    out.label[i] = at % c;
    out.value[i] = criterion === 'prob' ? expNonPositive(keys[at]) : keys[at];
  }
  return out;
}

/** The first position where two results differ in any byte, or -1. */
export function firstDifference(a: Pairs, b: Pairs): number {
  if (a.image.length !== b.image.length) return -2;
  const bits = (v: Float32Array) => new Uint32Array(v.buffer, v.byteOffset, v.length);
  const av = bits(a.value);
  const bv = bits(b.value);
  for (let i = 0; i < a.image.length; i++) {
    if (a.image[i] !== b.image[i] || a.label[i] !== b.label[i] || av[i] !== bv[i]) return i;
  }
  return -1;
}

/** Byte-for-byte equality of two results (so -0/+0 count). */
export function expectSamePairs(a: Pairs, b: Pairs): void {
  expect(a.image.length).toBe(b.image.length);
  expect(firstDifference(a, b)).toBe(-1);
}
