/**
 * fma(a, b, c): a·b + c rounded once, as the hardware fused multiply-add the
 * native `prob` arithmetic uses, emulated exactly with ordinary doubles
 * (Boldo & Melquiond, "Emulation of a FMA and correctly rounded sums: proved
 * algorithms using rounding to odd", IEEE TC 2008):
 *
 *   a·b = uh + ul exactly (Dekker's product with Veltkamp splitting),
 *   c + uh = th + tl exactly (TwoSum),
 *   v = tl + ul rounded to odd,  result = th + v (rounded to nearest).
 *
 * Exact whenever no partial product underflows or overflows: the callers keep
 * |a·b| above 2^-900 or negligible against c (see topk-math.ts).
 */
const SPLITTER = 134217729; // 2^27 + 1
const TWO54 = 18014398509481984;

const word = new Float64Array(1);
const halves = new Uint32Array(word.buffer);
const LO = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1 ? 0 : 1; // low word index

export function fma(a: number, b: number, c: number): number {
  const uh = a * b;
  let t = SPLITTER * a;
  const ah = t - (t - a);
  const al = a - ah;
  t = SPLITTER * b;
  const bh = t - (t - b);
  const bl = b - bh;
  const ul = ah * bh - uh + ah * bl + al * bh + al * bl;
  const th = c + uh;
  const z = th - c;
  const tl = c - (th - z) + (uh - z);
  return finish(th, tl, ul);
}

/** th + (tl + ul rounded to odd), rounded to nearest. */
function finish(th: number, tl: number, ul: number): number {
  const s = tl + ul;
  if (s === 0) return th;
  // Rounding to odd only matters when th + s is a tie (s exactly half the gap
  // next to th). With |s| within half an ulp of th (|s|·2^54 <= |th|) and th + 2s
  // not exact (so no tie), RN(th + s) is already the answer.
  if (Math.abs(s) * TWO54 <= Math.abs(th) && th + 2 * s - th !== 2 * s) return th + s;
  return th + roundToOddSum(tl, ul);
}

/** x + y rounded to odd: exact sums as they are, else the neighbour with an odd last bit. */
function roundToOddSum(x: number, y: number): number {
  const s = x + y;
  const z = s - x;
  const e = x - (s - z) + (y - z);
  if (e === 0) return s;
  word[0] = s;
  if (halves[LO] & 1) return s;
  // s is even and inexact: step one ulp towards the exact sum (s is not 0 here).
  if (e > 0 === s > 0) {
    halves[LO] += 1; // even, so no carry
  } else if (halves[LO] === 0) {
    halves[LO] = 0xffffffff;
    halves[1 - LO] -= 1;
  } else {
    halves[LO] -= 1;
  }
  return word[0];
}
