import fc from 'fast-check';
import { hasNative } from '../../src/native/addon';
import { topkRowsSync } from '../../src/evaluate/topk';

/** Reference: stable sort of (value desc, index asc). */
function naiveTopk(scores: ArrayLike<number>, n: number, c: number, k: number): Int32Array {
  const out = new Int32Array(n * k);
  for (let i = 0; i < n; i++) {
    const idx = Array.from({ length: c }, (_, j) => j);
    idx.sort((a, b) => (scores[i * c + b] - scores[i * c + a]) || a - b);
    for (let r = 0; r < k; r++) out[i * k + r] = idx[r];
  }
  return out;
}

function randomScores(n: number, c: number, seed: number, Ctor: typeof Float32Array | typeof Float64Array) {
  let s = seed >>> 0;
  const rnd = () => ((s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 2 ** 32);
  const a = new Ctor(n * c);
  // Few distinct values: ties are the rule, not the exception.
  for (let i = 0; i < a.length; i++) a[i] = Math.floor(rnd() * 7) - 3 + (rnd() < 0.01 ? -Infinity : 0);
  return a;
}

const describeNative = hasNative() ? describe : describe.skip;

describe('topkRows (TS twin)', () => {
  it('matches a stable sort, ties to the lower class', () => {
    for (const [n, c, k] of [[50, 10, 5], [7, 1000, 9], [3, 33, 33], [4, 1, 1], [0, 5, 5]] as const) {
      const s = randomScores(n, c, n * 31 + c, Float32Array);
      expect(topkRowsSync(s, n, c, k, { backend: 'ts' })).toEqual(naiveTopk(s, n, c, k));
    }
  });

  it('handles ±Infinity and -0 like a comparison sort', () => {
    const s = new Float64Array([-0, 0, -Infinity, Infinity, 0, -Infinity]);
    expect(Array.from(topkRowsSync(s, 1, 6, 6, { backend: 'ts' }))).toEqual([3, 0, 1, 4, 2, 5]);
  });

  it('rejects NaN naming the file and the absolute row', () => {
    const s = new Float32Array(20);
    s[13] = NaN;
    expect(() => topkRowsSync(s, 4, 5, 2, { backend: 'ts', file: 'p.npy', rowOffset: 100 })).toThrow('p.npy: row 102 contains NaN');
  });

  it('rejects a size mismatch and k out of range', () => {
    expect(() => topkRowsSync(new Float32Array(10), 3, 3, 1, { file: 'x.npy' })).toThrow('x.npy: score matrix has 10 values');
    expect(() => topkRowsSync(new Float32Array(9), 3, 3, 4)).toThrow('k = 4');
  });
});

describeNative('topkRows native = TS twin', () => {
  it('agrees on random matrices, for float32 and float64, any thread count', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 40 }), fc.integer({ min: 1, max: 200 }), fc.integer({ min: 1, max: 12 }),
        fc.boolean(), fc.integer(),
        (n, c, kRaw, f64, seed) => {
          const k = Math.min(kRaw, c);
          const s = randomScores(n, c, seed, f64 ? Float64Array : Float32Array);
          const ts = topkRowsSync(s, n, c, k, { backend: 'ts' });
          for (const threads of [1, 2, 3]) expect(topkRowsSync(s, n, c, k, { backend: 'native', threads })).toEqual(ts);
        },
      ),
      { numRuns: 150 },
    );
  });

  it('agrees on continuous values at ImageNet width', () => {
    const n = 300, c = 1000;
    const s = new Float32Array(n * c).map((_, i) => Math.sin(i * 12.9898) * 43758.5453 % 1);
    expect(topkRowsSync(s, n, c, 9, { backend: 'native', threads: 2 })).toEqual(topkRowsSync(s, n, c, 9, { backend: 'ts' }));
    expect(topkRowsSync(s, n, c, 9, { backend: 'ts' })).toEqual(naiveTopk(s, n, c, 9));
  });

  it('reports the lowest NaN row whatever the threads', () => {
    const s = new Float32Array(200 * 20);
    s[150 * 20 + 3] = NaN;
    s[40 * 20 + 19] = NaN;
    for (const threads of [1, 2, 4]) {
      expect(() => topkRowsSync(s, 200, 20, 5, { backend: 'native', threads, file: 'p.npy' })).toThrow('p.npy: row 40 contains NaN');
    }
  });

  it('validates arguments instead of crashing', () => {
    const { nativeAddon } = require('../../src/native/addon');
    const addon = nativeAddon();
    const out = new Int32Array(4);
    expect(() => addon.evalTopkRows(new Int32Array(4), 2, 2, 2, out, 1)).toThrow(/Float32Array/);
    expect(() => addon.evalTopkRows(new Float32Array(4), 2, 2, 3, out, 1)).toThrow(/out of range/);
    expect(() => addon.evalTopkRows(new Float32Array(4), 2, 2, 2, new Int32Array(3), 1)).toThrow(/out has 3/);
    expect(() => addon.evalTopkRows(new Float32Array(5), 2, 2, 2, out, 1)).toThrow(/expected n\*c/);
    expect(() => addon.evalTopkRows(new Float32Array(4), 2, 2, 2, out)).toThrow(/threads/);
  });
});
