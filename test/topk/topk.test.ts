import { topkSync, TopKStreamSync, type Criterion, type Pairs } from '../../src/topk/topk';
import { nativeAddon, type NativeStream } from '../../src/native/addon';
import { expectSamePairs, referenceTopK, rng, smoothMatrix, tiedMatrix } from './topk-helpers';

const addon = nativeAddon();
const describeNative = addon ? describe : describe.skip;
if (!addon) console.warn('top-K native tests skipped: the addon is not built');
const CRITERIA: Criterion[] = ['logit', 'prob'];
const BACKENDS = addon ? (['native', 'ts'] as const) : (['ts'] as const);
const ISAS: number[] = addon ? [1, 2, 3].filter((i) => i <= addon.topkIsa()) : [];

function streamed(data: Float32Array | Float64Array, n: number, c: number, k: number, chunk: number, opts: object): Pairs {
  const s = new TopKStreamSync(c, k, opts);
  for (let start = 0; start < n; start += chunk) {
    const count = Math.min(chunk, n - start);
    s.push(data.subarray(start * c, (start + count) * c), count);
  }
  expect(s.rowsSeen).toBe(n);
  return s.finish();
}

describe('topk: both backends equal a brute-force sort', () => {
  const cases: Array<[string, number, number, number, number, boolean]> = [
    // name, n, c, k, seed, f64
    ['planted ties, float32', 300, 17, 400, 1, false],
    ['planted ties, float64', 200, 23, 1000, 2, true],
    ['K = 1', 50, 9, 1, 3, false],
    ['K = N*C', 40, 11, 440, 4, false],
    ['one row', 1, 300, 77, 5, false],
    ['one column', 500, 1, 123, 6, false],
  ];
  for (const [name, n, c, k, seed, f64] of cases) {
    for (const criterion of CRITERIA) {
      it(`${name} (${criterion})`, () => {
        const data = tiedMatrix(n, c, seed, f64);
        const ref = referenceTopK(data, n, c, k, criterion);
        for (const backend of BACKENDS) expectSamePairs(topkSync(data, n, c, k, { criterion, backend }), ref);
      });
    }
  }

  it('all values equal: ties go to the lower flat index', () => {
    const n = 30;
    const c = 7;
    const data = new Float32Array(n * c).fill(1.5);
    for (const criterion of CRITERIA) {
      for (const backend of BACKENDS) {
        const got = topkSync(data, n, c, 50, { criterion, backend });
        expect(Array.from(got.image.slice(0, 9))).toEqual([0, 0, 0, 0, 0, 0, 0, 1, 1]);
        expect(Array.from(got.label.slice(0, 9))).toEqual([0, 1, 2, 3, 4, 5, 6, 0, 1]);
        expect(got.value[49]).toBe(criterion === 'logit' ? 1.5 : Math.fround(1 / 7));
      }
    }
  });

  it('one column under prob: every probability is 1', () => {
    const data = smoothMatrix(64, 1, 9);
    for (const backend of BACKENDS) {
      const got = topkSync(data, 64, 1, 64, { criterion: 'prob', backend });
      expect(Array.from(got.value).every((v) => v === 1)).toBe(true);
      expect(Array.from(got.image)).toEqual(Array.from({ length: 64 }, (_, i) => i));
    }
  });

  it('-0 and +0 tie and come out as +0', () => {
    const data = new Float32Array([-0, 0, -0, 0, -1, -0]);
    for (const backend of BACKENDS) {
      const got = topkSync(data, 2, 3, 5, { backend });
      expect(Array.from(got.label)).toEqual([0, 1, 2, 0, 2]);
      expect(Array.from(got.image)).toEqual([0, 0, 0, 1, 1]);
      expect(Array.from(new Uint32Array(got.value.buffer))).toEqual([0, 0, 0, 0, 0]);
    }
  });
});

describeNative('topk: native equals the TypeScript twin exactly', () => {
  it('on every SIMD variant this CPU runs, both dtypes and criteria', () => {
    for (const [n, c, k, seed] of [
      [257, 131, 999, 11],
      [64, 1000, 640, 12],
      [1000, 10, 10000, 13],
      [33, 3, 50, 14],
    ]) {
      for (const f64 of [false, true]) {
        const data = tiedMatrix(n, c, seed, f64);
        const smooth = f64 ? Float64Array.from(smoothMatrix(n, c, seed)) : smoothMatrix(n, c, seed);
        for (const criterion of CRITERIA) {
          for (const m of [data, smooth]) {
            const twin = topkSync(m, n, c, k, { criterion, backend: 'ts' });
            for (const isa of ISAS) expectSamePairs(addon!.topkSelect(m, n, c, k, criterion === 'prob' ? 1 : 0, 0, isa), twin);
          }
        }
      }
    }
  });

  it('on rows spanning far more than the exp clamp (exp(-600)), up to the dtype limits', () => {
    const n = 48;
    const c = 37;
    const r = rng(15);
    // Each row mixes a logit-like spread with values 10^2..10^38 (f32) or ..10^308 (f64) away.
    const fill = (d: Float32Array | Float64Array, maxExp: number) => {
      for (let i = 0; i < d.length; i++) {
        const far = r() < 0.3 ? (r() < 0.5 ? -1 : 1) * 10 ** (2 + r() * (maxExp - 2)) : 0;
        d[i] = far || (r() - 0.5) * 20;
      }
      return d;
    };
    for (const data of [fill(new Float32Array(n * c), 38), fill(new Float64Array(n * c), 308.25)]) {
      for (const k of [1, 40, n * c]) {
        const twin = topkSync(data, n, c, k, { criterion: 'prob', backend: 'ts' });
        for (const isa of ISAS) expectSamePairs(addon!.topkSelect(data, n, c, k, 1, 0, isa), twin);
      }
    }
  });

  it('thread counts 1, 2, 3 and 7 give identical output', () => {
    const n = 4000;
    const c = 50;
    const data = smoothMatrix(n, c, 21);
    for (const criterion of CRITERIA) {
      const one = topkSync(data, n, c, 9000, { criterion, backend: 'native', threads: 1 });
      for (const threads of [2, 3, 7]) expectSamePairs(topkSync(data, n, c, 9000, { criterion, backend: 'native', threads }), one);
      expectSamePairs(one, topkSync(data, n, c, 9000, { criterion, backend: 'ts' }));
    }
  });

  it('a sampled threshold is used on a large matrix, and agrees with the twin', () => {
    const n = 20000;
    const c = 50;
    const k = 10000;
    const data = smoothMatrix(n, c, 31);
    for (const criterion of CRITERIA) {
      const s = new TopKStreamSync(c, k, { criterion, backend: 'native' });
      s.push(data, n);
      const got = s.finish();
      const stats = addon!.topkStreamStats((s as unknown as { handle: NativeStream }).handle);
      expect(stats).toEqual({ sampled: 1, fallbacks: 0, unproven: false });
      expectSamePairs(got, topkSync(data, n, c, k, { criterion, backend: 'ts' }));
    }
  });

  it('an unrepresentative sample is detected and the chunk redone', () => {
    // Hot rows exactly where the sample looks (rows (i + 0.5) * n / s for the
    // s = 1024 sample rows this shape gets), cold everywhere else: the sampled
    // threshold admits far fewer than K entries, so it must be rejected.
    const n = 20000;
    const c = 50;
    const k = 10000;
    const data = smoothMatrix(n, c, 41, 1);
    const sRows = 1024;
    for (let i = 0; i < sRows; i++) {
      const row = Math.floor(((i + 0.5) * n) / sRows);
      for (let j = 0; j < c; j++) data[row * c + j] += 20;
    }
    const s = new TopKStreamSync(c, k, { backend: 'native' });
    s.push(data, n);
    const got = s.finish();
    expect(addon!.topkStreamStats((s as unknown as { handle: NativeStream }).handle)).toEqual({ sampled: 1, fallbacks: 1, unproven: false });
    expectSamePairs(got, referenceTopK(data, n, c, k, 'logit'));
  });
});

describe('TopKStreamSync: chunked input equals one-shot selection', () => {
  for (const backend of BACKENDS) {
    it(`${backend}: chunks of 1, 3, 64 and all rows`, () => {
      const n = 700;
      const c = 31;
      const data = tiedMatrix(n, c, 51);
      for (const criterion of CRITERIA) {
        for (const k of [1, 500, 5000, n * c]) {
          const once = topkSync(data, n, c, k, { criterion, backend: 'ts' });
          for (const chunk of [1, 3, 64, n]) expectSamePairs(streamed(data, n, c, k, chunk, { criterion, backend }), once);
        }
      }
    });
  }

  it('a chunk buffer longer than nRows * c is read only up to nRows rows', () => {
    const data = tiedMatrix(10, 4, 61);
    for (const backend of BACKENDS) {
      const s = new TopKStreamSync(4, 3, { backend });
      const buf = new Float32Array(100).fill(1e6);
      buf.set(data.subarray(0, 20));
      s.push(buf, 5);
      s.push(data.subarray(20), 5);
      expectSamePairs(s.finish(), topkSync(data, 10, 4, 3, { backend: 'ts' }));
    }
  });

  it('mixes float32 and float64 chunks', () => {
    const data = tiedMatrix(60, 8, 62, true);
    for (const backend of BACKENDS) {
      const s = new TopKStreamSync(8, 100, { criterion: 'prob', backend });
      s.push(Float32Array.from(data.subarray(0, 240)), 30);
      s.push(data.subarray(240), 30);
      const mixed = Float64Array.from(data);
      for (let i = 0; i < 240; i++) mixed[i] = Math.fround(mixed[i]);
      expectSamePairs(s.finish(), referenceTopK(mixed, 60, 8, 100, 'prob'));
    }
  });
});

describe('topk: bad input', () => {
  it('names the first non-finite row (both backends, same message)', () => {
    const n = 50;
    const c = 6;
    for (const [bad, v] of [
      [NaN, 'NaN'],
      [Infinity, 'Infinity'],
      [-Infinity, '-Infinity'],
    ] as const) {
      const data = tiedMatrix(n, c, 71);
      data[40 * c + 1] = NaN;
      data[17 * c + 4] = bad;
      data[17 * c + 5] = NaN;
      for (const criterion of CRITERIA) {
        for (const backend of BACKENDS) {
          const run = () => topkSync(data, n, c, 10, { criterion, backend, file: 'x.npy' });
          expect(run).toThrow(`x.npy: row 17, column 4 is ${v}; top-K needs finite logits`);
          expect(run).toThrow(expect.objectContaining({ name: 'ValidationError', code: 'E_VALIDATION', file: 'x.npy' }));
        }
      }
    }
  });

  it('streams number rows globally and refuse further use after a failure', () => {
    for (const backend of BACKENDS) {
      const s = new TopKStreamSync(3, 2, { backend, file: 'f.npy' });
      s.push(new Float32Array([1, 2, 3, 4, 5, 6]), 2);
      expect(() => s.push(new Float32Array([1, 2, 3, 4, NaN, 6]), 2)).toThrow('f.npy: row 3, column 1 is NaN');
      expect(() => s.push(new Float32Array(3), 1)).toThrow('already failed');
      expect(() => s.finish()).toThrow('already failed');
    }
  });

  it('rejects K out of range with the same message on both backends', () => {
    const data = tiedMatrix(10, 5, 81);
    for (const backend of BACKENDS) {
      for (const k of [0, -3, 51]) {
        expect(() => topkSync(data, 10, 5, k, { backend, file: 'y.npy' })).toThrow(`y.npy: k = ${k} is out of range [1, 50]`);
      }
      const s = new TopKStreamSync(5, 51, { backend });
      s.push(data, 10);
      expect(() => s.finish()).toThrow('k = 51 is out of range [1, 50]');
      expect(() => s.finish()).toThrow('is finished');
    }
  });

  it('rejects bad shapes and types with a usage error', () => {
    expect(() => topkSync(new Float32Array(10), 3, 3, 1)).toThrow('data has 10 values, expected n * c = 9');
    expect(() => topkSync(new Int32Array(4) as unknown as Float32Array, 2, 2, 1)).toThrow('Float32Array or Float64Array');
    expect(() => topkSync(new Float32Array(4), 2, 2, 1.5)).toThrow('k must be an integer');
    expect(() => topkSync(new Float32Array(4), 2, 2, 1, { criterion: 'rank' as Criterion })).toThrow("criterion must be 'logit' or 'prob'");
    expect(() => new TopKStreamSync(0, 1)).toThrow('c must be an integer');
    const s = new TopKStreamSync(4, 1);
    expect(() => s.push(new Float32Array(7), 2)).toThrow('expected at least nRows * c = 8');
  });
});

describeNative('native top-K argument checks (no crash on misuse)', () => {
  it('throws TypeError / RangeError instead of touching bad memory', () => {
    const a = addon!;
    expect(() => a.topkSelect(new Int32Array(4) as never, 2, 2, 1, 0, 0)).toThrow(expect.objectContaining({ name: 'TypeError' }));
    expect(() => a.topkSelect(new Float32Array(5), 2, 2, 1, 0, 0)).toThrow(expect.objectContaining({ name: 'RangeError' }));
    expect(() => a.topkSelect(new Float32Array(4), 2, 2, 5, 0, 0)).toThrow('k = 5 is out of range [1, 4]');
    expect(() => a.topkSelect(new Float32Array(4), 2, 2, 1, 7, 0)).toThrow('criterion = 7 is out of range');
    expect(() => a.topkSelect(new Float32Array(4), 2, 2, 1.5, 0, 0)).toThrow('k: expected an integer');
    expect(() => a.topkStreamPush({} as never, new Float32Array(4), 1)).toThrow('expected a top-K stream');
    const h = a.topkStreamCreate(4, 2, 0, 0);
    expect(() => a.topkStreamPush(h, new Float32Array(7), 2)).toThrow(expect.objectContaining({ name: 'RangeError' }));
    a.topkStreamPush(h, new Float32Array([1, 2, 3, 4]), 1);
    expect(Array.from(a.topkStreamFinish(h).label)).toEqual([3, 2]);
    expect(() => a.topkStreamFinish(h)).toThrow('is finished');
    expect(() => a.sumF32(new Float64Array(3) as never, 0)).toThrow(expect.objectContaining({ name: 'TypeError' }));
  });

  it('sumF32 (the benchmark baseline) sums', () => {
    const d = new Float32Array(10007).map((_, i) => (i % 13) - 6);
    let s = 0;
    for (const v of d) s += v;
    expect(addon!.sumF32(d, 2)).toBe(s);
  });
});
