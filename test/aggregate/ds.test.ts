/**
 * Dawid–Skene and one-coin on problems whose answer is known: synthetic
 * crowds with known confusions, and small cases worked out by hand.
 */
import { aggregate } from '../../src/aggregate/aggregate';
import { DEFAULT_MAX_ITER, dawidSkene } from '../../src/aggregate/ds';
import { hasNative } from '../../src/native/addon';
import { oneCoin } from '../../src/aggregate/one-coin';
import { majorityVoteSync } from '../../src/aggregate/mv';
import { modeSpec, type CompactAnswers } from '../../src/aggregate/problem';
import { synthetic } from './synth';

const BACKENDS = ['auto', 'ts'] as const;

function argmax(post: Float64Array, q: number, K: number): number {
  let best = 0;
  for (let k = 1; k < K; k++) if (post[q * K + k] > post[q * K + best]) best = k;
  return best;
}

function accuracy(post: Float64Array, truth: Int32Array, K: number): number {
  let ok = 0;
  truth.forEach((t, q) => (ok += argmax(post, q, K) === t ? 1 : 0));
  return ok / truth.length;
}

describe('Dawid–Skene recovers known worker confusions', () => {
  // 30 workers, 6000 questions, 5 answers each: ~1000 answers per worker.
  for (const o of [
    { Q: 6000, W: 30, K: 2, A: 3, perQuestion: 5, seed: 11, verification: true, prior: [0.75, 0.25], accuracy: [0.55, 0.9] as [number, number] },
    { Q: 6000, W: 30, K: 3, A: 3, perQuestion: 5, seed: 12, prior: [0.5, 0.3, 0.2], accuracy: [0.5, 0.85] as [number, number] },
  ]) {
    const s = synthetic(o);
    const mode = o.verification ? 'verification' : 'categorical';
    it(`${mode}: every confusion entry within 4 standard errors, prior within 0.02`, () => {
      const r = dawidSkene(s.answers, { mode });
      expect(r.converged).toBe(true);
      const { K, A } = o;
      // Answers per (worker, true class): the sample size behind each row.
      const n = new Float64Array(o.W * K);
      s.answers.question.forEach((q, i) => n[s.answers.worker[i] * K + s.truth[q]]++);
      let worst = 0;
      for (let w = 0; w < o.W; w++) {
        for (let k = 0; k < K; k++) {
          for (let a = 0; a < A; a++) {
            const j = (w * K + k) * A + a;
            const p = s.confusion[j];
            const se = Math.sqrt((p * (1 - p)) / n[w * K + k]) + 0.005;
            worst = Math.max(worst, Math.abs(r.confusion[j] - p) / se);
          }
        }
      }
      expect(worst).toBeLessThan(4);
      for (let k = 0; k < K; k++) expect(Math.abs(r.prior[k] - s.prior[k])).toBeLessThan(0.02);
      // Better than majority vote at recovering the truth.
      const mv = majorityVoteSync(s.answers, { mode });
      expect(accuracy(r.posterior, s.truth, K)).toBeGreaterThan(accuracy(mv, s.truth, K));
    });
  }

  it('one-coin recovers per-worker accuracies of a one-coin crowd', () => {
    const W = 20;
    const acc = Array.from({ length: W }, (_, w) => 0.45 + (0.5 * w) / (W - 1));
    const K = 4;
    let seed = 7;
    const r = () => (seed = (seed * 48271) % 2147483647) / 2147483647;
    const q: number[] = [];
    const wk: number[] = [];
    const a: number[] = [];
    const truth: number[] = [];
    for (let i = 0; i < 5000; i++) {
      const t = Math.floor(r() * K);
      truth.push(t);
      for (let j = 0; j < 5; j++) {
        const w = (i * 5 + j) % W;
        const right = r() < acc[w];
        let ans = t;
        if (!right) ans = (t + 1 + Math.floor(r() * (K - 1))) % K;
        q.push(i);
        wk.push(w);
        a.push(ans);
      }
    }
    const answers: CompactAnswers = { question: Int32Array.from(q), worker: Int32Array.from(wk), answer: Int32Array.from(a), numQuestions: 5000, numWorkers: W, alphabet: ['a', 'b', 'c', 'd'] };
    const res = oneCoin(answers, { mode: 'categorical' });
    for (let w = 0; w < W; w++) {
      const se = Math.sqrt((acc[w] * (1 - acc[w])) / 1250);
      expect(Math.abs(res.skill![w] - acc[w])).toBeLessThan(4 * se + 0.01);
    }
  });
});

describe('EM log-likelihood never decreases', () => {
  const s = synthetic({ Q: 4000, W: 25, K: 2, A: 3, perQuestion: 5, seed: 21, verification: true, prior: [0.7, 0.3] });
  const c = synthetic({ Q: 2000, W: 15, K: 4, A: 4, perQuestion: 3, seed: 22 });
  const cases = [
    { name: 'verification DS', ans: s.answers, mode: 'verification' as const, fit: dawidSkene },
    { name: 'categorical DS', ans: c.answers, mode: 'categorical' as const, fit: dawidSkene },
    { name: 'verification one-coin', ans: s.answers, mode: 'verification' as const, fit: oneCoin },
    { name: 'categorical one-coin', ans: c.answers, mode: 'categorical' as const, fit: oneCoin },
  ];
  for (const { name, ans, mode, fit } of cases) {
    for (const backend of BACKENDS) {
      it(`${name} (${backend}): log-likelihood without smoothing, objective with`, () => {
        for (const smoothing of [0, 2]) {
          const r = fit(ans, { mode, smoothing, tol: 0, maxIter: 60, backend });
          expect(r.iterations).toBe(60); // tol 0 runs exactly maxIter iterations
          const seq = smoothing === 0 ? r.logLikelihood : r.objective;
          for (let i = 1; i < seq.length; i++) {
            // Rounding of a sum over 10^4 terms: allow 1e-12 relative.
            expect(seq[i]).toBeGreaterThanOrEqual(seq[i - 1] - 1e-12 * Math.abs(seq[i - 1]));
          }
          expect(seq[seq.length - 1]).toBeGreaterThan(seq[0]);
        }
      });
    }
  }

  it('stops at the tolerance, reports convergence, and maxIter 0 returns the start', () => {
    const r = dawidSkene(s.answers, { tol: 1e-4 });
    expect(r.converged).toBe(true);
    expect(r.iterations).toBeLessThan(500);
    expect(r.logLikelihood.length).toBe(r.iterations);
    const zero = dawidSkene(s.answers, { maxIter: 0 });
    expect(zero.iterations).toBe(0);
    expect(Array.from(zero.posterior)).toEqual(Array.from(majorityVoteSync(s.answers, { mode: 'verification' })));
    const capped = dawidSkene(s.answers, { tol: 1e-15, maxIter: 3 });
    expect(capped.iterations).toBe(3);
    expect(capped.converged).toBe(false);
  });
});

describe('small cases worked out by hand', () => {
  it('categorical DS: two workers, two tasks (a fixed point after one iteration)', () => {
    // t0: w0 = a, w1 = a.  t1: w0 = a, w1 = b.
    // Start (majority vote): t0 = (1, 0), t1 = (1/2, 1/2); prior = (3/4, 1/4).
    // M-step: w0 rows: a -> (1, 0), b -> (1, 0) (w0 only ever says a);
    //         w1 rows: a -> (1/1.5, 0.5/1.5) = (2/3, 1/3), b -> (0, 1).
    // E-step: t0: a = 3/4 * 1 * 2/3 = 1/2, b = 1/4 * 1 * 0 = 0     -> (1, 0)
    //         t1: a = 3/4 * 1 * 1/3 = 1/4, b = 1/4 * 1 * 1 = 1/4   -> (1/2, 1/2)
    // Log-likelihood = log(1/2) + log(1/4 + 1/4) = 2 log(1/2).
    const ans: CompactAnswers = { question: Int32Array.from([0, 0, 1, 1]), worker: Int32Array.from([0, 1, 0, 1]), answer: Int32Array.from([0, 0, 0, 1]), numQuestions: 2, numWorkers: 2, alphabet: ['a', 'b'] };
    for (const backend of BACKENDS) {
      const r = dawidSkene(ans, { mode: 'categorical', backend });
      expect(r.posterior[0]).toBeCloseTo(1, 15);
      expect(r.posterior[1]).toBeCloseTo(0, 15);
      expect(r.posterior[2]).toBeCloseTo(0.5, 15);
      expect(r.posterior[3]).toBeCloseTo(0.5, 15);
      expect(Array.from(r.confusion).map((v) => Math.round(v * 1e12) / 1e12)).toEqual([1, 0, 1, 0, Math.round((2 / 3) * 1e12) / 1e12, Math.round((1 / 3) * 1e12) / 1e12, 0, 1]);
      expect(Array.from(r.prior)).toEqual([0.75, 0.25]);
      expect(r.logLikelihood[0]).toBeCloseTo(2 * Math.log(0.5), 14);
      // The default rule needs two log-likelihoods to see no gain; the posterior
      // rule sees the first E-step return the start unchanged.
      expect(r.iterations).toBe(2);
      expect(r.converged).toBe(true);
      expect(Array.from(r.logLikelihood)).toEqual([r.logLikelihood[0], r.logLikelihood[0]]);
      const p = dawidSkene(ans, { mode: 'categorical', backend, stop: 'posterior' });
      expect([p.iterations, p.converged]).toEqual([1, true]);
    }
  });

  it('verification majority vote scores yes = 1, maybe = 0.5, no = 0', () => {
    const ans: CompactAnswers = { question: Int32Array.from([0, 0, 0, 1, 1]), worker: Int32Array.from([0, 1, 2, 0, 1]), answer: Int32Array.from([2, 1, 0, 2, 2]), numQuestions: 2, numWorkers: 3, alphabet: ['no', 'maybe', 'yes'] };
    for (const backend of BACKENDS) {
      expect(Array.from(majorityVoteSync(ans, { mode: 'verification', backend }))).toEqual([0.5, 0.5, 0, 1]);
    }
    expect(Array.from(modeSpec('verification', ['no', 'maybe', 'yes']).match)).toEqual([0, -1, 1]);
  });

  it('one-coin: one iteration by hand (3 classes)', () => {
    // t0: w0 = 0, w1 = 0, w2 = 1.  t1: w0 = 2, w1 = 2.
    // Start: t0 = (2/3, 1/3, 0), t1 = (0, 0, 1); prior = (1/3, 1/6, 1/2).
    // Skills: w0 = (2/3 + 1)/2 = 5/6, w1 = 5/6, w2 = 1/3 (its answer 1 has posterior 1/3).
    // E-step t1: class 2 = 1/2 * 5/6 * 5/6; class 0 = 1/3 * (1/12)^2; class 1 = 1/6 * (1/12)^2.
    const ans: CompactAnswers = { question: Int32Array.from([0, 0, 0, 1, 1]), worker: Int32Array.from([0, 1, 2, 0, 1]), answer: Int32Array.from([0, 0, 1, 2, 2]), numQuestions: 2, numWorkers: 3, alphabet: ['x', 'y', 'z'] };
    for (const backend of BACKENDS) {
      const r = oneCoin(ans, { mode: 'categorical', maxIter: 1, tol: 0, backend });
      expect(r.skill![0]).toBeCloseTo(5 / 6, 14);
      expect(r.skill![2]).toBeCloseTo(1 / 3, 14);
      const c2 = 0.5 * (5 / 6) ** 2;
      const c0 = (1 / 3) * (1 / 12) ** 2;
      const c1 = (1 / 6) * (1 / 12) ** 2;
      expect(r.posterior[5]).toBeCloseTo(c2 / (c0 + c1 + c2), 14);
      expect(r.posterior[3]).toBeCloseTo(c0 / (c0 + c1 + c2), 14);
    }
  });
});

describe('the default stopping rule: objective gain per answer below 1e-5 (crowd-kit)', () => {
  // 33 answers (11 tasks, 3 of 5 workers each, 3 labels), drawn once from a
  // seeded generator and kept literally. The likelihood is nearly flat: the
  // largest posterior change stays above 1e-7 for thousands of iterations.
  const CSV = `t0,w2,b t0,w1,b t0,w3,b t1,w3,b t1,w0,b t1,w1,b t2,w3,b t2,w2,a t2,w4,b t3,w0,c t3,w4,a t3,w3,c t4,w4,c t4,w3,b t4,w0,a
    t5,w1,a t5,w2,c t5,w3,c t6,w0,b t6,w4,c t6,w3,b t7,w3,c t7,w4,b t7,w1,a t8,w2,c t8,w1,b t8,w4,b t9,w3,b t9,w4,b t9,w2,b t10,w4,a t10,w1,b t10,w0,c`;
  const rows = CSV.trim().split(/\s+/).map((r) => r.split(','));
  const ans: CompactAnswers = {
    question: Int32Array.from(rows, (r) => Number(r[0].slice(1))),
    worker: Int32Array.from(rows, (r) => Number(r[1].slice(1))),
    answer: Int32Array.from(rows, (r) => 'abc'.indexOf(r[2])),
    numQuestions: 11,
    numWorkers: 5,
    alphabet: ['a', 'b', 'c'],
  };
  const bytes = (x: Float64Array) => Buffer.from(x.buffer, x.byteOffset, x.byteLength);

  it('converges within the default cap in every engine here, at the same iteration, with the same bytes', () => {
    expect(ans.question.length).toBe(33);
    const runs = (['native', 'ts'] as const).filter((b) => b === 'ts' || hasNative()).map((backend) => dawidSkene(ans, { mode: 'categorical', backend }));
    for (const r of runs) {
      expect(r.converged).toBe(true);
      expect(r.iterations).toBeLessThan(DEFAULT_MAX_ITER);
      // The rule itself: the first iteration whose objective gain per answer is below 1e-5.
      const gain = (t: number) => (r.objective[t] - r.objective[t - 1]) / 33;
      const t = r.iterations - 1;
      expect(gain(t)).toBeLessThan(1e-5);
      for (let i = 1; i < t; i++) expect(gain(i)).toBeGreaterThanOrEqual(1e-5);
      expect(bytes(r.posterior).equals(bytes(runs[0].posterior))).toBe(true);
      expect(bytes(r.objective).equals(bytes(runs[0].objective))).toBe(true);
    }
    // Recorded: 35 iterations.
    expect(runs[0].iterations).toBe(35);
  });

  it("the earlier rule stays reachable (stop: 'posterior'): it does not converge here within the cap", () => {
    for (const backend of BACKENDS) {
      const r = dawidSkene(ans, { mode: 'categorical', backend, stop: 'posterior' });
      expect([r.iterations, r.converged]).toEqual([DEFAULT_MAX_ITER, false]);
      // tol 0 turns the default rule off too: exactly maxIter iterations.
      const all = dawidSkene(ans, { mode: 'categorical', backend, tol: 0, maxIter: 80 });
      expect([all.iterations, all.converged]).toEqual([80, false]);
    }
  });

  it('an unknown rule is a typed error naming the option', async () => {
    expect(() => dawidSkene(ans, { mode: 'categorical', stop: 'elbo' as never })).toThrow(/stop must be one of log-likelihood, posterior/);
    await expect(aggregate({ method: 'ds', answers: ans, mode: 'categorical', stop: 'elbo' as never })).rejects.toThrow(/`stop` must be log-likelihood or posterior, got 'elbo'/);
  });
});
