/**
 * The exact arithmetic of the `prob` criterion, operation for operation the
 * same as native/topk_math.h: IEEE +, -, *, / (each rounded once, as in any
 * JavaScript expression) and exact powers of two, so the twin's keys equal
 * the native keys bit for bit. No fused multiply-add on either side.
 *
 *   lse(row) = m + logAtLeastOne(s),  m = max(row),
 *   s = lane sums, lane[j % 8] += p_j * scale_j, then a fixed tree,
 *       where exp(x_j - m) = p_j * scale_j,
 *   key = x - lse,  prob = fround(expNonPositive(key)).
 */

const LOG2E_X16 = 23.083120654223414; // 16 / ln 2
const SHIFT = 6755399441055744; // 1.5 * 2^52: adding it rounds to an integer
const LN2_HI = 0.69314718036912382; // low 32 bits zero
const LN2_LO = 1.9082149292705877e-10;
const LN2_HI16 = 0.04332169877307024; // LN2_HI / 16: k * LN2_HI16 is exact
const LN2_LO16 = 1.1926343307941173e-11;
const SQRT2 = 1.4142135623730951;
// Below exp(-600) a term cannot change a sum holding exp(0) = 1; the clamp
// keeps 2^n >= 2^-866, inside POW2 and the normal range.
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
const POW2 = new Float64Array(1024);
POW2[1023] = 1;
for (let i = 1022; i >= 1; i--) POW2[i] = POW2[i + 1] * 0.5;

/**
 * exp(t) for t <= 0, clamped at exp(-600); relative error ~5e-16. With
 * t = (16n + j) ln2/16 + r: exp(t) = 2^n * 2^(j/16) * exp(r), |r| <~ ln2/32,
 * exp(r) by its degree-6 Taylor polynomial (Horner).
 */
export function expNonPositive(t: number): number {
  if (!(t > EXP_FLOOR)) t = EXP_FLOOR;
  const k = t * LOG2E_X16 + SHIFT - SHIFT; // an integer in [-13850, 0]
  let r = t - k * LN2_HI16;
  r = r - k * LN2_LO16;
  let p = C6 * r + C5;
  p = p * r + C4;
  p = p * r + C3;
  p = p * r + C2;
  p = p * r + 1;
  p = p * r + 1;
  const ki = k | 0;
  return p * (EXP2_TABLE[ki & 15] * POW2[(ki >> 4) + 1023]);
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

/** log-sum-exp of the finite row data[off, off + c). */
export function rowLse(data: Float32Array | Float64Array, off: number, c: number): number {
  const end = off + c;
  let m = data[off];
  for (let j = off + 1; j < end; j++) if (data[j] > m) m = data[j];
  // Eight lane sums in locals, lane j % 8 as in the native SIMD paths.
  let a0 = 0, a1 = 0, a2 = 0, a3 = 0, a4 = 0, a5 = 0, a6 = 0, a7 = 0;
  let j = off;
  for (; j + 8 <= end; j += 8) {
    a0 += expNonPositive(data[j] - m);
    a1 += expNonPositive(data[j + 1] - m);
    a2 += expNonPositive(data[j + 2] - m);
    a3 += expNonPositive(data[j + 3] - m);
    a4 += expNonPositive(data[j + 4] - m);
    a5 += expNonPositive(data[j + 5] - m);
    a6 += expNonPositive(data[j + 6] - m);
    a7 += expNonPositive(data[j + 7] - m);
  }
  // The tail: at most 7 columns, lanes 0.. in order.
  if (j < end) a0 += expNonPositive(data[j++] - m);
  if (j < end) a1 += expNonPositive(data[j++] - m);
  if (j < end) a2 += expNonPositive(data[j++] - m);
  if (j < end) a3 += expNonPositive(data[j++] - m);
  if (j < end) a4 += expNonPositive(data[j++] - m);
  if (j < end) a5 += expNonPositive(data[j++] - m);
  if (j < end) a6 += expNonPositive(data[j++] - m);
  const s = ((a0 + a1) + (a2 + a3)) + ((a4 + a5) + (a6 + a7));
  return m + logAtLeastOne(s);
}
