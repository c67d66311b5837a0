/**
 * The twin's fused multiply-add equals a·b + c computed exactly (BigInt) and
 * rounded once to nearest-even, on the operands the prob arithmetic feeds it
 * and on cases built to land on rounding ties.
 */
import { fma } from '../../src/topk/fma';
import { rng } from '../helpers/rng';

const view = new DataView(new ArrayBuffer(8));

/** x = m * 2^e with m an integer (x finite, nonzero). */
function decompose(x: number): [bigint, number] {
  view.setFloat64(0, x);
  const hi = view.getUint32(0);
  const lo = view.getUint32(4);
  const exp = (hi >>> 20) & 0x7ff;
  let m = (BigInt(hi & 0xfffff) << 32n) | BigInt(lo);
  if (exp !== 0) m |= 1n << 52n;
  return [x < 0 ? -m : m, (exp === 0 ? 1 : exp) - 1075];
}

/** a·b + c exactly, rounded to nearest-even (normal results only). */
function exactFma(a: number, b: number, c: number): number {
  const terms: [bigint, number][] = [];
  if (a !== 0 && b !== 0) {
    const [ma, ea] = decompose(a);
    const [mb, eb] = decompose(b);
    terms.push([ma * mb, ea + eb]);
  }
  if (c !== 0) terms.push(decompose(c));
  if (terms.length === 0) return a * b + c;
  const e = Math.min(...terms.map((t) => t[1]));
  let s = 0n;
  for (const [m, te] of terms) s += m << BigInt(te - e);
  if (s === 0n) return 0;
  const neg = s < 0n;
  let q = neg ? -s : s;
  let shift = Math.max(0, q.toString(2).length - 53);
  if (shift > 0) {
    const rem = q & ((1n << BigInt(shift)) - 1n);
    const half = 1n << BigInt(shift - 1);
    q >>= BigInt(shift);
    if (rem > half || (rem === half && (q & 1n) === 1n)) q += 1n;
    if (q === 1n << 53n) {
      q >>= 1n;
      shift += 1;
    }
  }
  const v = Number(q) * 2 ** (e + shift);
  if (!(Math.abs(v) >= 2 ** -1000)) throw new Error('test operands must give a normal result');
  return neg ? -v : v;
}

const r = rng(20261129);
const wide = () => r() + r() * 2 ** -32; // 53 random bits in [0, 1)
const COEFFS = [1, 1, 1 / 2, 1 / 6, 1 / 24, 1 / 120];

function expectExact(a: number, b: number, c: number): void {
  const got = fma(a, b, c);
  const want = exactFma(a, b, c);
  if (!Object.is(got, want)) throw new Error(`fma(${a}, ${b}, ${c}) = ${got}, exact ${want}`);
}

describe('fma: exact emulation of the fused multiply-add', () => {
  it('on the Horner steps of exp (p·r + 1/n!)', () => {
    for (let i = 0; i < 40000; i++) {
      const p = (1 + wide() * 0.05) * 2 ** -Math.floor(r() * 11);
      expectExact(p, (wide() * 2 - 1) * 0.0217, COEFFS[i % 6]);
    }
  });

  it('on the range reduction (t·16/ln2 + 1.5·2^52, -k·ln2lo/16 + r)', () => {
    for (let i = 0; i < 40000; i++) {
      const t = -wide() * 2 ** (Math.floor(r() * 12) - 2);
      expectExact(t, 23.083120654223414, 6755399441055744);
      const k = Math.round(t * 23.083120654223414);
      if (k !== 0) expectExact(-k, 1.1926343307941173e-11, (wide() * 2 - 1) * 0.0217);
    }
  });

  it('on the lane sums (p·2^n·2^(j/16) + acc), down to the clamp at exp(-600)', () => {
    for (let i = 0; i < 40000; i++) {
      const scale = (1 + wide()) * 2 ** -Math.floor(r() * 866);
      const acc = i % 3 ? wide() * 2 ** -Math.floor(r() * 900) : wide() * 8;
      expectExact(1 + (wide() * 2 - 1) * 0.03, scale, acc);
    }
  });

  it('on integer operands whose sums land on ties, and on cancellation', () => {
    for (let i = 0; i < 40000; i++) {
      const a = 2 ** 26 + Math.floor(r() * 2 ** 26);
      const b = 2 ** 26 + Math.floor(r() * 2 ** 26);
      const c = -Math.floor(wide() * 2 ** 53) * 2 ** Math.floor(r() * 4);
      const s = 2 ** (Math.floor(r() * 60) - 30);
      expectExact(a * s, b, c * s);
      const x = wide() + 0.5;
      const y = wide() + 0.5;
      expectExact(x, y, -(x * y) + (wide() - 0.5) * 2 ** -Math.floor(r() * 110));
    }
  });

  it('on general operands of moderate exponent', () => {
    for (let i = 0; i < 40000; i++) {
      const e = () => Math.floor(r() * 200) - 100;
      expectExact((wide() * 2 - 1) * 2 ** e(), (wide() * 2 - 1) * 2 ** e(), (wide() * 2 - 1) * 2 ** (2 * e()));
    }
  });

  it('rounds to odd where a plain sum of the parts would round twice', () => {
    // 321 · 28059810762433 = 2^53 + 1: th = 2^106, tl = 2^53 (a tie), ul = 1,
    // so the exact 2^106 + 2^53 + 1 is just above the midpoint.
    expect(exactFma(321, 28059810762433, 2 ** 106)).toBe(2 ** 106 + 2 ** 54);
    expect(fma(321, 28059810762433, 2 ** 106)).toBe(2 ** 106 + 2 ** 54);
    expect(fma(-321, 28059810762433, -(2 ** 106))).toBe(-(2 ** 106 + 2 ** 54));
  });

  it('differs from the unfused a·b + c where the product rounds', () => {
    // (1 + 2^-52)^2 = 1 + 2^-51 + 2^-104: only the fused form keeps the last term.
    const a = 1 + 2 ** -52;
    expect(fma(a, a, -1)).toBe(2 ** -51 + 2 ** -104);
    expect(a * a - 1).toBe(2 ** -51);
  });
});
