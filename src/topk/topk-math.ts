/**
 * The exact arithmetic of the `prob` criterion, operation for operation the
 * same as native/topk_math.h (IEEE +, -, *, /, fused multiply-add emulated
 * exactly by fma.ts, and exact powers of two), so the twin's keys equal the
 * native keys bit for bit.
 *
 *   lse(row) = m + logAtLeastOne(s),  m = max(row),
 *   s = lane sums, lane[j % 8] = fma(p_j, scale_j, lane[j % 8]), then a fixed tree,
 *       where exp(x_j - m) = p_j * scale_j,
 *   key = x - lse,  prob = fround(expNonPositive(key)).
 */
import { fma } from './fma';

const LOG2E_X16 = 23.083120654223414; // 16 / ln 2
const SHIFT = 6755399441055744; // 1.5 * 2^52: adding it rounds to an integer
const LN2_HI = 0.69314718036912382; // low 32 bits zero
const LN2_LO = 1.9082149292705877e-10;
const LN2_HI16 = 0.04332169877307024; // LN2_HI / 16: k * LN2_HI16 is exact
const LN2_LO16 = 1.1926343307941173e-11;
const SQRT2 = 1.4142135623730951;
// Below exp(-600) a term cannot change a sum holding exp(0) = 1; the clamp keeps
// every product of the FMAs far from underflow, where fma() would not be exact.
const EXP_FLOOR = -600;

// 2^(j/16), correctly rounded.
const EXP2_TABLE = new Float64Array([
  1.0, 1.0442737824274138, 1.0905077326652577, 1.1387886347566916, 1.189207115002721, 1.241857812073484,
  1.2968395546510096, 1.3542555469368927, 1.4142135623730951, 1.4768261459394993, 1.5422108254079407,
  1.6104903319492543, 1.681792830507429, 1.7562521603732995, 1.8340080864093424, 1.9152065613971474,
]);

// Taylor coefficients 1/n!.
const C2 = 1 / 2;
const C3 = 1 / 6;
const C4 = 1 / 24;
const C5 = 1 / 120;
const C6 = 1 / 720;

// POW2[n + 1023] = 2^n for n in [-1022, 0] (halving is exact for normals).
// With the clamp, n >= -866.
const POW2 = new Float64Array(1024);
POW2[1023] = 1;
for (let i = 1022; i >= 1; i--) POW2[i] = POW2[i + 1] * 0.5;

// exp(t) = p * scale for t <= 0, clamped at exp(-600), with t = (16n + j) ln2/16 + r,
// |r| <= ln2/32, p = exp(r) and scale = 2^n * 2^(j/16) (exact). The steps
// below run stage by stage over blocks of columns: the emulated FMAs are long
// dependency chains, and independent columns let the CPU overlap them.
const BLOCK = 256;
const rBuf = new Float64Array(BLOCK);
const pBuf = new Float64Array(BLOCK);
const scaleBuf = new Float64Array(BLOCK);

/** Fills rBuf/scaleBuf for t_i = x[off + i] - m (i < n), then pBuf = exp(r). */
function expBlock(x: ArrayLike<number>, off: number, n: number, m: number): void {
  for (let i = 0; i < n; i++) {
    let t = x[off + i] - m;
    if (!(t > EXP_FLOOR)) t = EXP_FLOOR;
    let k = fma(t, LOG2E_X16, SHIFT);
    k = k - SHIFT; // an integer in [-13850, 0]
    // The native fnmadd(k, LN2_HI16, t) equals this: the product and the difference are exact.
    const r = t - k * LN2_HI16;
    rBuf[i] = fma(-k, LN2_LO16, r);
    scaleBuf[i] = EXP2_TABLE[k & 15] * POW2[(k >> 4) + 1023];
  }
  for (let i = 0; i < n; i++) pBuf[i] = fma(C6, rBuf[i], C5);
  for (const c of HORNER) for (let i = 0; i < n; i++) pBuf[i] = fma(pBuf[i], rBuf[i], c);
}
const HORNER = [C4, C3, C2, 1, 1];

const one = new Float64Array(1);

/** exp(t) for t <= 0, clamped at exp(-600); relative error ~5e-16. */
export function expNonPositive(t: number): number {
  one[0] = t;
  expBlock(one, 0, 1, 0);
  return pBuf[0] * scaleBuf[0];
}

const bits = new Float64Array(1);
const words = new Uint32Array(bits.buffer);
const HI = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1 ? 1 : 0; // high word index

/** log(s) for a finite s >= 1. */
export function logAtLeastOne(s: number): number {
  bits[0] = s;
  const hi = words[HI];
  let e = ((hi >>> 20) & 0x7ff) - 1023;
  words[HI] = (hi & 0x000fffff) | 0x3ff00000; // mantissa in [1, 2)
  let f = bits[0];
  if (f > SQRT2) {
    f = f * 0.5;
    e = e + 1;
  }
  const u = (f - 1) / (f + 1);
  const u2 = u * u;
  // atanh series: log f = 2u (1 + u^2/3 + ... + u^20/21).
  let q = 1 / 21;
  for (let i = 9; i >= 0; i--) q = q * u2 + 1 / (2 * i + 1);
  const lf = 2 * u * q;
  return e * LN2_HI + (e * LN2_LO + lf);
}

const lanes = new Float64Array(8);

/** log-sum-exp of the finite row data[off, off + c). */
export function rowLse(data: Float32Array | Float64Array, off: number, c: number): number {
  let m = data[off];
  for (let j = 1; j < c; j++) if (data[off + j] > m) m = data[off + j];
  lanes.fill(0);
  for (let j0 = 0; j0 < c; j0 += BLOCK) {
    const n = Math.min(BLOCK, c - j0);
    expBlock(data, off + j0, n, m);
    // lane[j % 8] = fma(p, scale, lane[j % 8]), in column order (BLOCK is a multiple of 8).
    for (let i = 0; i < n; i++) lanes[i & 7] = fma(pBuf[i], scaleBuf[i], lanes[i & 7]);
  }
  const s = ((lanes[0] + lanes[1]) + (lanes[2] + lanes[3])) + ((lanes[4] + lanes[5]) + (lanes[6] + lanes[7]));
  return m + logAtLeastOne(s);
}
