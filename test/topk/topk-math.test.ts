import { expNonPositive, logAtLeastOne, rowLse } from '../../src/topk/topk-math';
import { rng } from './topk-helpers';

describe('topk-math: the prob criterion arithmetic', () => {
  it('expNonPositive matches Math.exp to a few ulp on [-600, 0]', () => {
    const r = rng(1);
    let worst = 0;
    for (let i = 0; i < 200000; i++) {
      const t = i < 100000 ? -r() * 40 : -r() * 600;
      const rel = Math.abs(expNonPositive(t) - Math.exp(t)) / Math.exp(t);
      worst = Math.max(worst, rel);
    }
    expect(worst).toBeLessThan(1e-15);
    expect(expNonPositive(0)).toBe(1);
    expect(expNonPositive(-0)).toBe(1);
  });

  it('expNonPositive clamps below exp(-600) instead of underflowing', () => {
    expect(expNonPositive(-800)).toBe(expNonPositive(-600));
    expect(expNonPositive(-1e300)).toBe(expNonPositive(-600));
    expect(expNonPositive(-600)).toBeGreaterThan(0);
    expect(Math.fround(expNonPositive(-600))).toBe(0);
  });

  it('logAtLeastOne matches Math.log to ~2 ulp on [1, 2^31]', () => {
    const r = rng(2);
    let worst = 0;
    for (let i = 0; i < 200000; i++) {
      const s = 1 + (i % 2 ? r() * 3 : r() * 2 ** 31);
      worst = Math.max(worst, Math.abs(logAtLeastOne(s) - Math.log(s)) / Math.log(s));
    }
    expect(worst).toBeLessThan(6e-16);
    expect(logAtLeastOne(1)).toBe(0);
    expect(logAtLeastOne(Math.SQRT2)).toBeCloseTo(Math.LN2 / 2, 15);
  });

  it('rowLse equals a naive logsumexp', () => {
    const r = rng(3);
    for (let t = 0; t < 200; t++) {
      const c = 1 + Math.floor(r() * 300);
      const x = new Float64Array(c).map(() => (r() - 0.5) * 40);
      const m = Math.max(...x);
      let s = 0;
      for (const v of x) s += Math.exp(v - m);
      const naive = m + Math.log(s);
      expect(Math.abs(rowLse(x, 0, c) - naive)).toBeLessThan(1e-13 * Math.max(1, Math.abs(naive)));
    }
  });

  it('rowLse is finite for extreme but finite rows', () => {
    const x = new Float64Array([1e308, -1e308, 0, 1e308]);
    expect(rowLse(x, 0, 4)).toBe(1e308);
    const f = new Float32Array([3.4e38, -3.4e38]);
    expect(rowLse(f, 0, 2)).toBe(Math.fround(3.4e38));
  });
});
