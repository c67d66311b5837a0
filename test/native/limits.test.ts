/**
 * Size limits of the native kernels (docs/limits.md), probed by validation,
 * never by allocation: every call passes small typed arrays with lying sizes
 * at the int32 / int64 / 2^53 boundaries, including products that wrap to
 * the real buffer length in 64-bit arithmetic. Each must be refused with a
 * RangeError or TypeError before any memory is touched (the sanitized run
 * repeats this file under ASan + UBSan). The aggregation twins enforce the
 * same limits with the same messages.
 */
import { nativeAddon, type NativeAddon } from '../../src/native/addon';
import { majorityVoteSync } from '../../src/aggregate/mv';
import { runEmSync } from '../../src/aggregate/em';
import { scorePassSync } from '../../src/aggregate/gold';
import type { CompactAnswers } from '../../src/aggregate/problem';
import { topkSync, TopKStreamSync } from '../../src/topk/topk';
import { poolPairsSync } from '../../src/pool/pool';

const addon = nativeAddon();
const I32 = 2 ** 31 - 1;
const f32 = (n: number) => new Float32Array(n);
const i32 = (...v: number[]) => Int32Array.from(v);

/** fn must throw a RangeError or TypeError (from the addon's realm) whose message matches. */
function refused(fn: () => unknown, message: RegExp | string, name: 'RangeError' | 'TypeError' = 'RangeError'): void {
  let err: unknown;
  try {
    fn();
  } catch (e) {
    err = e;
  }
  if (!err) throw new Error(`accepted; expected ${name} ${message}`);
  expect((err as Error).name).toBe(name);
  expect((err as Error).message).toMatch(message);
}

(addon ? describe : describe.skip)(`native argument limits${addon ? '' : ' [skipped: native addon not built]'}`, () => {
  const a = addon as NativeAddon;

  describe('evalTopkRows: n <= 2^40, c <= 2^31 - 1, k <= c, n*c and n*k exactly the buffers', () => {
    it('refuses products that wrap to the buffer length in 64 bits', () => {
      // 2^40 * 2^30 = 2^70 = 0 mod 2^64, and 2^40 * 2^24 = 2^64 = 0: both "match" empty buffers.
      refused(() => a.evalTopkRows(f32(0), 2 ** 40, 2 ** 30, 2 ** 24, new Int32Array(0), 1), 'scores has 0 values, expected n*c = 1099511627776*1073741824');
      refused(() => a.evalTopkRows(new Float64Array(0), 2 ** 40, 2 ** 30, 2 ** 24, new Int32Array(0), 1), /scores has 0 values/);
    });

    it('refuses sizes past each bound', () => {
      refused(() => a.evalTopkRows(f32(4), 2 ** 40 + 1, 1, 1, new Int32Array(4), 1), 'n = 1099511627777 is out of range [0, 1099511627776]');
      refused(() => a.evalTopkRows(f32(4), 2, 2 ** 31, 1, new Int32Array(2), 1), 'c = 2147483648 is out of range [1, 2147483647]');
      refused(() => a.evalTopkRows(f32(6), 2, 3, 4, new Int32Array(8), 1), 'k = 4 is out of range [1, 3]');
      refused(() => a.evalTopkRows(f32(6), 2, 3, 2, new Int32Array(3), 1), 'out has 3 values, expected n*k = 2*2');
      refused(() => a.evalTopkRows(f32(6), -1, 3, 2, new Int32Array(3), 1), 'n = -1 is out of range');
      refused(() => a.evalTopkRows(f32(6), 2 ** 64, 3, 2, new Int32Array(3), 1), 'n: expected an integer', 'TypeError');
      refused(() => a.evalTopkRows(f32(6), 2, 3, 1.5, new Int32Array(3), 1), 'k: expected an integer', 'TypeError');
      refused(() => a.evalTopkRows(f32(6), 2, 3, 2, new Int32Array(4), 2 ** 31), /threads = 2147483648 is out of range/);
    });

    it('n = 0 with c = k = 2^31 - 1 is valid and costs nothing (no per-block k-buffer for empty blocks)', () => {
      expect(() => a.evalTopkRows(f32(0), 0, I32, I32, new Int32Array(0), 1)).not.toThrow();
    });
  });

  describe('topkSelect / topk streams: n, c <= 2^31 - 1 (int32 image and label), k <= n*c (stream: 2^53)', () => {
    it('refuses lying shapes and K', () => {
      refused(() => a.topkSelect(f32(4), I32, I32, 1, 0, 1), 'data has 4 values, expected n * c = 4611686014132420609');
      refused(() => a.topkSelect(f32(4), 2 ** 31, 2, 1, 0, 1), 'n = 2147483648 is out of range [0, 2147483647]');
      refused(() => a.topkSelect(f32(4), 2, 2, 2 ** 31, 0, 1), 'k = 2147483648 is out of range [1, 4]');
      refused(() => a.topkSelect(f32(4), 2, 2, 2 ** 53 + 2, 0, 1), 'k = 9007199254740994 is out of range [1, 4]');
      refused(() => a.topkSelect(f32(4), 2, 2, 1, 2, 1), 'criterion = 2 is out of range [0, 1]');
    });

    it('a stream takes K up to 2^53 but no row beyond 2^31 - 1 and no short buffer', () => {
      refused(() => a.topkStreamCreate(4, 2 ** 53 + 2, 0, 1), 'k = 9007199254740994 is out of range [1, 9007199254740992]');
      refused(() => a.topkStreamCreate(2 ** 31, 4, 0, 1), 'c = 2147483648 is out of range');
      const wide = a.topkStreamCreate(I32, 2 ** 53, 0, 1);
      refused(() => a.topkStreamPush(wide, f32(4), 1), 'rows has 4 values, expected at least nRows * c = 2147483647');
      const s = a.topkStreamCreate(2, 2 ** 53, 0, 1);
      a.topkStreamPush(s, f32(4), 2);
      refused(() => a.topkStreamPush(s, f32(4), I32 - 1), 'nRows = 2147483646 is out of range [0, 2147483645]');
      refused(() => a.topkStreamFinish(s), 'k = 9007199254740992 is out of range [1, 4]');
    });
  });

  describe('aggregation: Q, W < 2^31, A, K <= 2^16, W*A < 2^31, W*K*A <= 2^26, Q*K <= 2^40', () => {
    const em = (p: Partial<{ numQuestions: number; numWorkers: number; init: Float64Array; question: Int32Array }>, o: Partial<{ numAnswers: number; numClasses: number }> = {}) =>
      a.aggEm(
        [{ question: i32(0), worker: i32(0), answer: i32(0), numQuestions: 1, numWorkers: 1, init: new Float64Array(2), ...p }],
        { numAnswers: 2, numClasses: 2, method: 0, maxIter: 1, tol: 0, smoothing: 0, threads: 1, ...o },
      );

    it('refuses sizes past each bound, and inits that do not match Q*K', () => {
      refused(() => em({ numQuestions: 2 ** 31 }), /numQuestions = 2147483648(\.0+)? must be an integer in \[0, 2147483647\]/);
      refused(() => em({ numWorkers: I32 }), 'numWorkers * numAnswers is too large');
      refused(() => em({ numWorkers: 2 ** 20 }, { numAnswers: 8, numClasses: 16 }), 'numWorkers * numClasses * numAnswers is too large');
      refused(() => em({ numQuestions: I32 }, { numClasses: 2 ** 16 }), 'numQuestions * numClasses is too large');
      refused(() => em({ numQuestions: I32 }), 'problems[0].init: expected numQuestions * numClasses values');
      refused(() => em({ question: i32(I32) }), 'problems[0]: question[0] = 2147483647 is out of range [0, 1)');
      refused(() => em({}, { numAnswers: 2 ** 16 + 1 }), /numAnswers/);
    });

    it('majority vote, scoring and gold confusion check the same sizes', () => {
      refused(() => a.aggMajorityVote(i32(0), i32(0), I32, 2, 2 ** 16, new Float64Array(2 * 2 ** 16)), 'numQuestions * numClasses is too large');
      refused(() => a.aggScore(i32(0), i32(0), i32(0), 1, new Float64Array(0), new Float64Array(0), 1, 2, 1, undefined), 'prior: expected at least one class');
      refused(() => a.aggScore(i32(0), i32(0), i32(0), 1, new Float64Array(2), new Float64Array(4), I32, 2, 1, undefined), 'numWorkers * numAnswers is too large');
      refused(() => a.aggScore(i32(0), i32(0), i32(0), 1, new Float64Array(2), new Float64Array(3), 1, 2, 1, undefined), 'confusion: expected numWorkers * numClasses * numAnswers values');
      refused(() => a.aggGoldConfusion(i32(0), i32(0), i32(0), i32(0), 2 ** 25, 2, 2, 1), 'numWorkers * numClasses * numAnswers is too large');
    });
  });

  describe('poolPairs: n, c <= 2^31 - 1, models <= 2^20, (n*c) << tag bits within 64 bits', () => {
    const pool = (o: Partial<Record<string, unknown>>) => {
      const x = { n: 2, c: 2, models: 1, srcImage: i32(0), srcLabel: i32(1), srcOffsets: i32(0, 1), srcModel: i32(0), forced: new Int32Array(0), minVotes: 1, ...o };
      return a.poolPairs(x.n, x.c, x.models, x.srcImage, x.srcLabel, x.srcOffsets, x.srcModel, x.forced, x.minVotes);
    };
    it('refuses lying sizes and offsets', () => {
      expect(pool({}).image).toEqual(i32(0));
      refused(() => pool({ n: I32, c: I32, srcOffsets: i32(0, 1, 1, 1, 1), srcModel: i32(0, 0, 0, 0) }), 'n * c * 2^ceil(log2(sources + 1)) is too large to encode in 64 bits');
      refused(() => pool({ n: 2 ** 31 }), 'n = 2147483648 is out of range [1, 2147483647]');
      refused(() => pool({ models: 2 ** 20 + 1 }), 'models = 1048577 is out of range');
      refused(() => pool({ srcOffsets: i32(0, 2) }), 'srcOffsets must start at 0 and end at the number of pairs');
      refused(() => pool({ srcOffsets: i32(0) }), 'srcOffsets: expected 2 entries');
      refused(() => pool({ srcImage: i32(0, 0), srcLabel: i32(1, 1), srcOffsets: i32(0, 2), srcModel: i32(0), forced: i32(1, 1, 1) }), 'forced: length must be a multiple of n');
      refused(() => pool({ srcImage: i32(I32) }), /source 0, pair 0: \(image 2147483647, label 1\) is outside/);
      refused(() => pool({ forced: i32(0, I32) }), 'forced row 0, image 1: label 2147483647 is outside [0, 2)');
    });
    it('a claimed n of 2^31 - 1 with no forced rows costs nothing', () => {
      expect(pool({ n: I32 }).image).toEqual(i32(0));
    });
  });

  describe('selectExhaustive: models <= 24, words <= 2^24, minVotes <= 64, lengths exact, maxTp <= 32 * words', () => {
    const u = (n: number) => new Uint32Array(n);
    const sel = (models: number, words: number, len: number, maxTp: number) =>
      a.selectExhaustive(models, words, 2, u(len), u(len), u(len), u(words), u(words), u(words), false, maxTp, 1);
    it('refuses lying sizes', () => {
      expect(sel(2, 1, 2, 0).mask).toHaveLength(1);
      refused(() => sel(25, 1, 25, 0), 'models = 25 is out of range [1, 24]');
      refused(() => sel(2, 2 ** 24 + 1, 2, 0), 'words = 16777217 is out of range [1, 16777216]');
      refused(() => sel(24, 2 ** 24, 2, 0), 'A: expected 402653184 words, got 2');
      refused(() => sel(2, 1, 2, 33), 'maxTp = 33 is out of range [0, 32]');
    });
  });
});

describe('the TypeScript twins refuse the same sizes', () => {
  const ans = (numQuestions: number, numWorkers: number): CompactAnswers => ({
    question: i32(0), worker: i32(0), answer: i32(0), numQuestions, numWorkers, alphabet: ['no', 'yes'],
  });
  const backends = addon ? (['ts', 'native'] as const) : (['ts'] as const);

  it.each(backends)('%s: aggregation sizes', (backend) => {
    const opts = { numAnswers: 2, numClasses: 2, method: 0 as const, maxIter: 1, tol: 0, smoothing: 0, threads: 1 };
    expect(() => runEmSync([{ question: i32(0), worker: i32(0), answer: i32(0), numQuestions: 1, numWorkers: I32, init: new Float64Array(2) }], { ...opts, backend: backend })).toThrow(
      'numWorkers * numAnswers is too large',
    );
    expect(() => runEmSync([{ question: i32(0), worker: i32(0), answer: i32(0), numQuestions: 1, numWorkers: 2 ** 20, init: new Float64Array(16) }], { ...{ ...opts, numAnswers: 8, numClasses: 16 }, backend: backend })).toThrow(
      'numWorkers * numClasses * numAnswers is too large',
    );
    expect(() => majorityVoteSync(ans(I32, 1), { mode: 'categorical', backend, spec: { mode: 'categorical', numAnswers: 2, numClasses: 2 ** 16, classes: [], votes: new Float64Array(2 ** 17), match: i32(0, 1) } })).toThrow(
      'numQuestions * numClasses is too large',
    );
    expect(() => scorePassSync(ans(1, I32), new Float64Array(2), new Float64Array(4), { backend })).toThrow('numWorkers * numAnswers is too large');
  });

  it.each(backends)('%s: top-K sizes', (backend) => {
    expect(() => topkSync(f32(4), I32, I32, 1, { backend })).toThrow('data has 4 values, expected n * c = 4611686014132420600');
    expect(() => topkSync(f32(4), 2, 2, 2 ** 31, { backend, file: 'x.npy' })).toThrow('x.npy: k = 2147483648 is out of range [1, 4]');
    expect(() => new TopKStreamSync(2 ** 31, 1, { backend })).toThrow('c must be an integer in [1, 2147483647]');
    const s = new TopKStreamSync(2, 4, { backend });
    s.push(f32(4), 2);
    expect(() => s.push(f32(4), I32 - 1)).toThrow('nRows must be an integer in [0, 2147483645]');
  });

  it.each(backends)('%s: pooling sizes', (backend) => {
    const sources = [{ image: i32(0), label: i32(1), model: 0 }];
    expect(() => poolPairsSync({ n: 2 ** 31, c: 2, models: 1, sources, forced: [] }, { backend })).toThrow('n = 2147483648 must be an integer in [1, 2147483647]');
    expect(() => poolPairsSync({ n: 2, c: 2, models: 2 ** 20 + 1, sources, forced: [] }, { backend })).toThrow('models = 1048577 must be an integer');
  });

  it('the pooling twin stops at n*c*2^tagBits = 2^53 with a clear error (the native kernel goes to 2^64)', () => {
    const sources = [{ image: i32(0), label: i32(1), model: 0 }];
    expect(() => poolPairsSync({ n: 2 ** 27, c: 2 ** 27, models: 1, sources, forced: [] }, { backend: 'ts' })).toThrow(/exceeds 2\^53 \(TS twin limit\)/);
    if (addon) expect(poolPairsSync({ n: 2 ** 27, c: 2 ** 27, models: 1, sources, forced: [], minVotes: 1 }, { backend: 'native' }).image).toEqual(i32(0));
  });
});

  // Memory is bounded by the data passed, checked before allocating (issue 12: fuzz_aggregate
  // sized EM's scratch from a claimed numAnswers * numClasses, 34 GB, with no workers and one answer).
(addon ? describe : describe.skip)('claims of huge sizes with tiny data are refused before allocating', () => {
    const a = addon as NativeAddon;
    it('EM: numAnswers * numClasses = 2^32 with no workers (the fuzz_aggregate OOM)', () => {
      const problem = { question: i32(), worker: i32(), answer: i32(), numQuestions: 1, numWorkers: 0, init: new Float64Array(2 ** 16) };
      const opts = { numAnswers: 2 ** 16, numClasses: 2 ** 16, method: 0 as const, maxIter: 1, tol: 0, smoothing: 0, threads: 1 };
      refused(() => a.aggEm([problem], opts), /numClasses \* numAnswers = 4294967296 values is too large for the 65536 values given/);
    });

    it('majority vote and scoring: 2^31 question rows from no answers', () => {
      refused(() => a.aggMajorityVote(i32(), i32(), 2 ** 30, 2, 2, new Float64Array(4)), /numQuestions \* numClasses = 2147483648 values is too large/);
      refused(() => a.aggScore(i32(), i32(), i32(), 2 ** 30, new Float64Array(2), new Float64Array(0), 0, 2, 1, undefined), /numQuestions \* numClasses = 2147483648 values is too large/);
    });

    it('gold confusion: 2^23 confusion values for 2^21 workers without answers', () => {
      refused(() => a.aggGoldConfusion(i32(), i32(), i32(), i32(0), 2 ** 21, 2, 2, 1), /numWorkers \* numClasses \* numAnswers = 8388608 values is too large/);
    });

    it('pooling: model masks of 2^15 words per pair for 2^20 claimed models', () => {
      const n = 200;
      const image = Int32Array.from({ length: n }, (_, j) => j);
      refused(() => a.poolPairs(n, 1, 2 ** 20, image, new Int32Array(n), i32(0, n), i32(0), new Int32Array(n), 1), /models = 1048576: the model masks would need 6553600 words/);
    });
  });
