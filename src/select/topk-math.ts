/**
 * The exact arithmetic of the `prob` criterion, operation for operation the
 * same as native/topk_math.h (IEEE +, -, *, / and exact powers of two only),
 * so the twin's keys equal the native keys bit for bit.
 *
 *   lse(row) = m + logAtLeastOne(s),  m = max(row),
 *   s = lane sum of expNonPositive(x_j - m) (lane j % 8, then a fixed tree),
 *   key = x - lse,  prob = fround(expNonPositive(key)).
 */
const LOG2E_X16 = 23.083120654223414; // 16 / ln 2
const SHIFT = 6755399441055744; // 1.5 * 2^52: adding it rounds to an integer
const LN2_HI = 0.69314718036912382; // low 32 bits zero
const LN2_LO = 1.9082149292705877e-10;
const LN2_HI16 = 0.04332169877307024; // LN2_HI / 16: k * LN2_HI16 is exact
const LN2_LO16 = 1.1926343307941173e-11;
const SQRT2 = 1.4142135623730951;
const EXP_FLOOR = -708;

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
 * exp(t) for t <= 0, clamped at exp(-708); relative error ~1e-15.
 * t = (16n + j) ln2/16 + r with |r| <= ln2/32: exp(t) = 2^n * 2^(j/16) * exp(r).
 */
export function expNonPositive(t: number): number {
  if (!(t > EXP_FLOOR)) t = EXP_FLOOR;
  let k = t * LOG2E_X16 + SHIFT;
  k = k - SHIFT; // an integer in [-16343, 0]
  let r = t - k * LN2_HI16;
  r = r - k * LN2_LO16;
  let p = C6 * r + C5;
  p = p * r + C4;
  p = p * r + C3;
  p = p * r + C2;
  p = p * r + 1;
  p = p * r + 1;
  return p * EXP2_TABLE[k & 15] * POW2[(k >> 4) + 1023];
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
  for (let j = 0; j < c; j++) lanes[j & 7] += expNonPositive(data[off + j] - m);
  const s = ((lanes[0] + lanes[1]) + (lanes[2] + lanes[3])) + ((lanes[4] + lanes[5]) + (lanes[6] + lanes[7]));
  return m + logAtLeastOne(s);
}
