/**
 * Dawid–Skene and one-coin on problems whose answer is known: synthetic
 * crowds with known confusions, and small cases worked out by hand.
 */
import { dawidSkene } from '../../src/aggregate/ds';
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
      expect(r.iterations).toBe(1); // the first E-step returns the start unchanged
      expect(r.converged).toBe(true);
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
