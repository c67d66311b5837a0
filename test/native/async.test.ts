/**
 * The async kernel API: every kernel's async function gives the bytes of its
 * sync form on both backends (native as a Napi::AsyncWorker on libuv's pool,
 * the twin in a Piscina worker), rejects with an AbortError when its signal
 * fires, and maps native errors by code. The twin runs from dist/ (npm test
 * builds it first).
 */
import { AbortError, ValidationError } from '../../src/errors';
import { runEm, runEmSync, type EmKernelOptions } from '../../src/aggregate/em';
import { goldConfusion, goldConfusionSync, goldScore, goldScoreSync, scorePass, scorePassSync } from '../../src/aggregate/gold';
import { majorityVote, majorityVoteSync } from '../../src/aggregate/mv';
import { modeSpec } from '../../src/aggregate/problem';
import { topkRows, topkRowsSync } from '../../src/evaluate/topk';
import { hasNative, type Backend } from '../../src/native/addon';
import { poolPairs, poolPairsSync, type PoolInput } from '../../src/pool/pool';
import { exhaustiveBuckets, exhaustiveBucketsSync } from '../../src/subsets/subsets';
import { topk, TopKStream, TopKStreamSync, topkSync } from '../../src/topk/topk';
import { closeTwinPool } from '../../src/util/workers';
import { synthetic } from '../aggregate/synth';
import { smoothMatrix, tiedMatrix } from '../topk/topk-helpers';

const BACKENDS: Backend[] = hasNative() ? ['native', 'ts'] : ['ts'];
if (!hasNative()) console.warn('async kernels: native core not built, testing the twin only');

afterAll(() => closeTwinPool());

function aborted(): AbortSignal {
  const c = new AbortController();
  c.abort();
  return c.signal;
}

const s = synthetic({ Q: 600, W: 9, K: 2, A: 3, perQuestion: 4, seed: 5, verification: true, prior: [0.6, 0.4] });
const spec = modeSpec('verification', s.answers.alphabet);
const emOpts: EmKernelOptions = { numAnswers: spec.numAnswers, numClasses: spec.numClasses, method: 0, maxIter: 50, tol: 1e-9, smoothing: 0.5, threads: 2 };

function poolInput(): PoolInput {
  const i32 = (...v: number[]) => Int32Array.from(v);
  return {
    n: 4, c: 5, models: 2, minVotes: 2,
    sources: [
      { image: i32(0, 1, 2, 3), label: i32(1, 2, 3, 4), model: 0 },
      { image: i32(0, 1, 3), label: i32(1, 3, 4), model: 1 },
      { image: i32(0, 2), label: i32(2, 3), model: 1 },
    ],
    forced: [i32(0, 0, 0, 0)],
  };
}

describe.each(BACKENDS)('async kernels, backend %s', (backend) => {
  it('topk equals topkSync, both criteria, ties included', async () => {
    const data = tiedMatrix(300, 40, 7);
    for (const criterion of ['logit', 'prob'] as const) {
      expect(await topk(data, 300, 40, 500, { criterion, backend })).toEqual(topkSync(data, 300, 40, 500, { criterion, backend }));
    }
  });

  it('TopKStream (async pushes) equals TopKStreamSync', async () => {
    const n = 500;
    const c = 30;
    const data = smoothMatrix(n, c, 3);
    for (const criterion of ['logit', 'prob'] as const) {
      const a = new TopKStream(c, 400, { criterion, backend });
      const b = new TopKStreamSync(c, 400, { criterion, backend });
      const pushes: Promise<void>[] = [];
      for (let r = 0; r < n; r += 70) {
        const rows = Math.min(70, n - r);
        const chunk = data.slice(r * c, (r + rows) * c);
        pushes.push(a.push(chunk, rows)); // queued: each starts when the previous settles
        b.push(chunk, rows);
      }
      const got = await a.finish();
      await Promise.all(pushes);
      expect(got).toEqual(b.finish());
    }
  });

  it('a non-finite logit rejects with the ValidationError of the sync form', async () => {
    const data = smoothMatrix(50, 10, 1);
    data[23 * 10 + 4] = Infinity;
    await expect(topk(data, 50, 10, 5, { backend, file: 'x.npy' })).rejects.toThrow(
      new ValidationError('row 23, column 4 is Infinity; top-K needs finite logits', 'x.npy'),
    );
    const st = new TopKStream(10, 5, { backend });
    await st.push(data.subarray(0, 200), 20);
    await expect(st.push(data.subarray(200), 30)).rejects.toThrow('row 23, column 4 is Infinity');
    await expect(st.finish()).rejects.toThrow('already failed');
  });

  it('evaluate topkRows equals topkRowsSync, and names a NaN row with its offset', async () => {
    const data = smoothMatrix(200, 25, 2);
    expect(await topkRows(data, 200, 25, 5, { backend })).toEqual(topkRowsSync(data, 200, 25, 5, { backend }));
    data[77 * 25] = NaN;
    await expect(topkRows(data, 200, 25, 5, { backend, rowOffset: 1000, file: 's.npy' })).rejects.toThrow(
      new ValidationError('row 1077 contains NaN', 's.npy'),
    );
  });

  it('poolPairs equals poolPairsSync', async () => {
    expect(await poolPairs(poolInput(), { backend })).toEqual(poolPairsSync(poolInput(), { backend }));
  });

  it('exhaustiveBuckets equals exhaustiveBucketsSync', async () => {
    const words = 2;
    const bits = (...v: number[]) => Uint32Array.from(v);
    const pr = {
      names: ['a', 'b', 'c'], models: 3, minVotes: 2, words, image: new Int32Array(0), label: new Int32Array(0),
      a: bits(0b1011, 1, 0b0110, 0, 0b1100, 3), b: bits(0b0001, 0, 0b0100, 0, 0b1000, 1), f: bits(1, 0, 2, 0, 4, 0),
      base: bits(0, 0), pos: bits(0b1101, 1), gold: bits(0b1111, 3), positives: 4, maxTp: 4, goldImages: 2, goldQuestions: 6,
      unknown: 'negative' as const,
    };
    expect(await exhaustiveBuckets(pr, { backend })).toEqual(exhaustiveBucketsSync(pr, { backend }));
  });

  it('aggregation kernels equal their sync forms', async () => {
    const ans = s.answers;
    expect(await majorityVote(ans, { spec, backend })).toEqual(majorityVoteSync(ans, { spec, backend }));
    const init = majorityVoteSync(ans, { spec });
    const problem = { ...ans, init };
    expect(await runEm([problem], { ...emOpts, backend })).toEqual(runEmSync([problem], { ...emOpts, backend }));
    const truth = s.truth.map((t, q) => (q % 3 === 0 ? t : -1));
    const gc = goldConfusionSync(ans, truth, 2, { backend });
    expect(await goldConfusion(ans, truth, 2, { backend })).toEqual(gc);
    const prior = Float64Array.from([0.6, 0.4]);
    expect(await scorePass(ans, prior, gc.confusion, { backend })).toEqual(scorePassSync(ans, prior, gc.confusion, { backend }));
    const input = { answers: ans, gold: ans, truth, spec, backend };
    expect(await goldScore(input)).toEqual(goldScoreSync(input));
  });

  it('a fired signal rejects every kernel with an AbortError', async () => {
    const signal = aborted();
    const data = smoothMatrix(20, 10, 1);
    const calls: Promise<unknown>[] = [
      topk(data, 20, 10, 5, { backend, signal }),
      topkRows(data, 20, 10, 2, { backend, signal }),
      poolPairs(poolInput(), { backend, signal }),
      majorityVote(s.answers, { spec, backend, signal }),
      runEm([{ ...s.answers, init: majorityVoteSync(s.answers, { spec }) }], { ...emOpts, backend, signal }),
      new TopKStream(10, 5, { backend, signal }).push(data, 20),
    ];
    for (const p of calls) await expect(p).rejects.toBeInstanceOf(AbortError);
  });

  it('an abort stops a running EM that would otherwise never end', async () => {
    // tol = 0 and a huge maxIter: this call only settles because the abort stops it.
    const big = synthetic({ Q: 4000, W: 30, K: 4, A: 4, perQuestion: 6, seed: 9 });
    const cat = modeSpec('categorical', big.answers.alphabet);
    const init = majorityVoteSync(big.answers, { spec: cat });
    const controller = new AbortController();
    const run = runEm([{ ...big.answers, init }], {
      numAnswers: cat.numAnswers, numClasses: cat.numClasses, method: 0, maxIter: 100_000_000, tol: 0, smoothing: 0.01, backend,
      signal: controller.signal,
    });
    setTimeout(() => controller.abort(), 200);
    const err = await run.catch((e: unknown) => e);
    expect(err).toBeInstanceOf(AbortError);
    expect((err as AbortError).name).toBe('AbortError');
  }, 60_000);
});
