/**
 * Every aggregation kernel against its pure-TypeScript twin (equal to 1e-12),
 * and the native kernels' independence from the thread count.
 */
import { runEmSync, type EmKernelOptions, type EmProblem, type EmResult } from '../../src/aggregate/em';
import { goldConfusionSync, scorePassSync } from '../../src/aggregate/gold';
import { majorityVoteSync } from '../../src/aggregate/mv';
import { modeSpec, type CompactAnswers } from '../../src/aggregate/problem';
import { hasNative } from '../../src/native/addon';
import { synthetic } from './synth';

const describeNative = hasNative() ? describe : describe.skip;
if (!hasNative()) console.warn('skipping native-vs-twin tests: the native core is not built');

function maxDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  expect(a.length).toBe(b.length);
  let d = 0;
  for (let i = 0; i < a.length; i++) {
    if (a[i] === b[i]) continue; // also equal infinities
    d = Math.max(d, Math.abs(a[i] - b[i]) / Math.max(1, Math.abs(a[i])));
  }
  return d;
}

function expectSame(x: EmResult, y: EmResult, tol = 1e-12): void {
  expect(x.iterations).toBe(y.iterations);
  expect(x.converged).toBe(y.converged);
  expect(maxDiff(x.posterior, y.posterior)).toBeLessThanOrEqual(tol);
  expect(maxDiff(x.confusion, y.confusion)).toBeLessThanOrEqual(tol);
  expect(maxDiff(x.prior, y.prior)).toBeLessThanOrEqual(tol);
  expect(maxDiff(x.logLikelihood, y.logLikelihood)).toBeLessThanOrEqual(tol);
  expect(maxDiff(x.objective, y.objective)).toBeLessThanOrEqual(tol);
  if (x.skill || y.skill) expect(maxDiff(x.skill!, y.skill!)).toBeLessThanOrEqual(tol);
}

function problemOf(ans: CompactAnswers, init: Float64Array): EmProblem {
  return { question: ans.question, worker: ans.worker, answer: ans.answer, numQuestions: ans.numQuestions, numWorkers: ans.numWorkers, init };
}

const CASES = [
  { name: 'verification, 3 answers', o: { Q: 3000, W: 25, K: 2, A: 3, perQuestion: 5, seed: 1, verification: true, prior: [0.7, 0.3] } },
  { name: 'categorical, 4 classes', o: { Q: 1500, W: 12, K: 4, A: 4, perQuestion: 4, seed: 2 } },
  { name: 'tiny (one block)', o: { Q: 7, W: 3, K: 2, A: 2, perQuestion: 2, seed: 3 } },
];

describeNative('native kernels equal their TypeScript twins', () => {
  for (const { name, o } of CASES) {
    const s = synthetic(o);
    // Add a worker who never answers and a question nobody answers.
    const ans: CompactAnswers = { ...s.answers, numWorkers: s.answers.numWorkers + 1, numQuestions: s.answers.numQuestions + 1 };
    const spec = modeSpec(o.verification ? 'verification' : 'categorical', ans.alphabet);

    it(`majority vote: ${name}`, () => {
      const a = majorityVoteSync(ans, { spec, backend: 'native' });
      const b = majorityVoteSync(ans, { spec, backend: 'ts' });
      expect(maxDiff(a, b)).toBe(0);
    });

    for (const method of [0, 1] as const) {
      for (const smoothing of [0, 1]) {
        it(`${method ? 'one-coin' : 'Dawid–Skene'} EM, smoothing ${smoothing}: ${name}`, () => {
          const init = majorityVoteSync(ans, { spec, backend: 'ts' });
          const opts: EmKernelOptions = { numAnswers: spec.numAnswers, numClasses: spec.numClasses, method, match: spec.match, maxIter: 200, tol: 1e-9, smoothing };
          const [x] = runEmSync([problemOf(ans, init)], { ...opts, backend: 'native' });
          const [y] = runEmSync([problemOf(ans, init)], { ...opts, backend: 'ts' });
          expectSame(x, y);
          expect(x.iterations).toBeGreaterThan(1);
        });
      }
    }

    it(`gold confusion and scoring pass: ${name}`, () => {
      const truth = Int32Array.from(s.truth, (t, q) => (q % 3 === 0 ? -1 : t));
      const gold = { ...s.answers, numWorkers: s.answers.numWorkers + 1 };
      const a = goldConfusionSync(gold, truth, spec.numClasses, { smoothing: 1, backend: 'native' });
      const b = goldConfusionSync(gold, truth, spec.numClasses, { smoothing: 1, backend: 'ts' });
      expect(maxDiff(a.confusion, b.confusion)).toBe(0);
      expect(Array.from(a.counts)).toEqual(Array.from(b.counts));
      const prior = Float64Array.from(s.prior);
      const x = scorePassSync(ans, prior, a.confusion, { backend: 'native' });
      const y = scorePassSync(ans, prior, b.confusion, { backend: 'ts' });
      expect(maxDiff(x.posterior, y.posterior)).toBeLessThanOrEqual(1e-12);
      expect(maxDiff([x.logLikelihood], [y.logLikelihood])).toBeLessThanOrEqual(1e-12);
    });
  }

  it('the log-space path (parameters below 2^-1000) agrees too, in EM and in scoring', () => {
    // Worker 0 is always right and the start is nearly certain (1e-305 for the
    // wrong class), so the first M-step gives it p(no | present) ~ 1e-305.
    const q: number[] = [];
    const w: number[] = [];
    const a: number[] = [];
    let seed = 5;
    const r = () => (seed = (seed * 16807) % 2147483647) / 2147483647;
    for (let i = 0; i < 300; i++) {
      for (let j = 0; j < 4; j++) {
        q.push(i);
        w.push(j);
        a.push(j === 0 || r() < 0.85 ? i % 2 : 1 - (i % 2));
      }
    }
    const ans: CompactAnswers = { question: Int32Array.from(q), worker: Int32Array.from(w), answer: Int32Array.from(a), numQuestions: 300, numWorkers: 4, alphabet: ['no', 'yes'] };
    const init = Float64Array.from({ length: 600 }, (_, j) => ((j >> 1) % 2 === (j & 1) ? 1 : 1e-305));
    const opts: EmKernelOptions = { numAnswers: 2, numClasses: 2, method: 0, maxIter: 10, tol: 0, smoothing: 0 };
    const [x] = runEmSync([problemOf(ans, init)], { ...opts, backend: 'native' });
    const [y] = runEmSync([problemOf(ans, init)], { ...opts, backend: 'ts' });
    expectSame(x, y);
    expect(x.confusion[0 * 4 + 1 * 2 + 0]).toBeLessThan(2 ** -1000); // worker 0: p(no | present)
    expect(Number.isFinite(x.logLikelihood[0])).toBe(true);
    const conf = Float64Array.from(x.confusion, (v) => (v === 0 ? 1e-310 : v));
    const sa = scorePassSync(ans, x.prior, conf, { backend: 'native' });
    const sb = scorePassSync(ans, x.prior, conf, { backend: 'ts' });
    expect(maxDiff(sa.posterior, sb.posterior)).toBeLessThanOrEqual(1e-12);
    expect(maxDiff([sa.logLikelihood], [sb.logLikelihood])).toBeLessThanOrEqual(1e-12);
  });
});

describeNative('native results do not depend on the thread count', () => {
  const s = synthetic({ Q: 20000, W: 40, K: 2, A: 3, perQuestion: 5, seed: 4, verification: true, prior: [0.8, 0.2] });
  const spec = modeSpec('verification', s.answers.alphabet);
  const init = majorityVoteSync(s.answers, { spec });
  const opts = (threads: number, method: 0 | 1 = 0): EmKernelOptions => ({
    numAnswers: 3, numClasses: 2, method, match: spec.match, maxIter: 50, tol: 0, smoothing: 0.5, threads,
  });
  const bytes = (r: EmResult) => Buffer.concat([r.posterior, r.confusion, r.prior, r.logLikelihood].map((x) => Buffer.from(x.buffer, x.byteOffset, x.byteLength)));

  it('one problem on 1, 2, 3 and 8 threads gives identical bytes', () => {
    for (const method of [0, 1] as const) {
      const ref = bytes(runEmSync([problemOf(s.answers, init)], { ...opts(1, method), backend: 'native' })[0]);
      for (const t of [2, 3, 8]) expect(bytes(runEmSync([problemOf(s.answers, init)], { ...opts(t, method), backend: 'native' })[0]).equals(ref)).toBe(true);
    }
  });

  it('a batch equals the problems run one by one, whatever the thread count', () => {
    // Bootstrap-style shards: every 4th question goes to shard q % 4.
    const shards = [0, 1, 2, 3].map((j) => {
      const keep = Array.from(s.answers.question.keys()).filter((i) => s.answers.question[i] % 4 === j);
      const q = Int32Array.from(keep, (i) => Math.floor(s.answers.question[i] / 4));
      const ans = { ...s.answers, question: q, worker: Int32Array.from(keep, (i) => s.answers.worker[i]), answer: Int32Array.from(keep, (i) => s.answers.answer[i]), numQuestions: Math.ceil((s.answers.numQuestions - j) / 4) };
      return problemOf(ans, majorityVoteSync(ans, { spec }));
    });
    const single = shards.map((p) => bytes(runEmSync([p], { ...opts(1), backend: 'native' })[0]));
    for (const t of [1, 2, 4, 8]) {
      const batch = runEmSync(shards, { ...opts(t), backend: 'native' });
      batch.forEach((r, j) => expect(bytes(r).equals(single[j])).toBe(true));
    }
  });
});

describe('kernel argument checks', () => {
  const ans: CompactAnswers = { question: Int32Array.from([0, 1]), worker: Int32Array.from([0, 0]), answer: Int32Array.from([0, 5]), numQuestions: 2, numWorkers: 1, alphabet: ['no', 'maybe', 'yes'] };
  const opts: EmKernelOptions = { numAnswers: 3, numClasses: 2, method: 0, maxIter: 5, tol: 1e-7, smoothing: 0 };
  const init = new Float64Array(4).fill(0.5);
  for (const backend of ['ts', ...(hasNative() ? ['native' as const] : [])] as const) {
    it(`${backend}: out-of-range answers, bad lengths and bad options are errors, not crashes`, () => {
      expect(() => runEmSync([problemOf(ans, init)], { ...opts, backend: backend })).toThrow(/answer\[1\] = 5 is out of range/);
      expect(() => runEmSync([problemOf({ ...ans, answer: Int32Array.from([0, 1]), worker: Int32Array.from([0]) }, init)], { ...opts, backend: backend })).toThrow(/differ in length/);
      expect(() => runEmSync([problemOf({ ...ans, answer: Int32Array.from([0, 1]) }, new Float64Array(3))], { ...opts, backend: backend })).toThrow(/init/);
      expect(() => runEmSync([problemOf({ ...ans, answer: Int32Array.from([0, 1]) }, init)], { ...{ ...opts, tol: NaN }, backend: backend })).toThrow(/tol/);
      expect(() => majorityVoteSync(ans, { mode: 'verification', backend })).toThrow(/answer\[1\] = 5/);
      expect(() => scorePassSync(ans, new Float64Array([0.5, 0.5]), new Float64Array(6).fill(1 / 3), { backend })).toThrow(/answer\[1\] = 5/);
      expect(() => goldConfusionSync({ ...ans, answer: Int32Array.from([0, 1]) }, Int32Array.from([0, 2]), 2, { smoothing: 1, backend: backend })).toThrow(/truth\[1\] = 2/);
    });
  }
});
