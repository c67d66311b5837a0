/**
 * Pure-TypeScript twins of the gold calibration and the single scoring pass
 * (GoldConfusion and ScorePass in native/aggregate_core.cc).
 */
import { minPositive, useLogDomain } from './em-mstep';
import { blockStart, eStep, questionCsr, type EParams } from './em-ts';

/** Confusions counted on gold questions; see goldConfusion in gold.ts. */
export function goldConfusionTs(
  question: Int32Array, worker: Int32Array, answer: Int32Array, truth: Int32Array,
  numWorkers: number, numAnswers: number, numClasses: number, smoothing: number,
): { confusion: Float64Array; counts: Float64Array } {
  const K = numClasses;
  const A = numAnswers;
  const W = numWorkers;
  const KA = K * A;
  const confusion = new Float64Array(W * KA);
  const counts = new Float64Array(W);
  for (let i = 0; i < question.length; i++) {
    const k = truth[question[i]];
    if (k < 0) continue;
    confusion[worker[i] * KA + k * A + answer[i]] += 1;
    counts[worker[i]] += 1;
  }
  let withGold = 0;
  for (let w = 0; w < W; w++) {
    if (counts[w] === 0) continue;
    withGold++;
    for (let k = 0; k < K; k++) {
      const row = w * KA + k * A;
      let denom = 0;
      for (let a = 0; a < A; a++) denom += confusion[row + a];
      denom += A * smoothing;
      for (let a = 0; a < A; a++) confusion[row + a] = denom > 0 ? (confusion[row + a] + smoothing) / denom : 1 / A;
    }
  }
  const mean = new Float64Array(KA);
  for (let w = 0; w < W; w++) {
    if (counts[w] === 0) continue;
    for (let j = 0; j < KA; j++) mean[j] += confusion[w * KA + j];
  }
  for (let j = 0; j < KA; j++) mean[j] = withGold > 0 ? mean[j] / withGold : 1 / A;
  for (let w = 0; w < W; w++) if (counts[w] === 0) confusion.set(mean, w * KA);
  return { confusion, counts };
}

/** One E-step with fixed parameters; see scorePass in gold.ts. */
export function scorePassTs(
  question: Int32Array, worker: Int32Array, answer: Int32Array, numQuestions: number,
  prior: Float64Array, confusion: Float64Array, numWorkers: number, numAnswers: number, blockStarts?: Int32Array,
): { posterior: Float64Array; logLikelihood: number; blockLogLikelihood?: Float64Array } {
  const BLOCKS = blockStarts ? blockStarts.length - 1 : 64;
  const K = prior.length;
  const A = numAnswers;
  const csr = questionCsr(question, worker, answer, numQuestions, A);
  const prob = new Float64Array(numWorkers * A * K);
  for (let w = 0; w < numWorkers; w++) {
    for (let k = 0; k < K; k++) {
      for (let a = 0; a < A; a++) prob[(w * A + a) * K + k] = confusion[(w * K + k) * A + a];
    }
  }
  const logDomain = useLogDomain(minPositive(prior, minPositive(prob)));
  const prm: EParams = {
    K,
    prob,
    prior,
    logDomain,
    logc: logDomain ? prob.map(Math.log) : null,
    logp: logDomain ? prior.map(Math.log) : null,
  };
  const posterior = new Float64Array(numQuestions * K);
  const psum = new Float64Array(BLOCKS * K);
  const bll = new Float64Array(BLOCKS);
  let ll = 0;
  for (let b = 0; b < BLOCKS; b++) {
    const q0 = blockStarts ? blockStarts[b] : blockStart(numQuestions, b, BLOCKS);
    const q1 = blockStarts ? blockStarts[b + 1] : blockStart(numQuestions, b + 1, BLOCKS);
    bll[b] = eStep(csr, q0, q1, prm, null, posterior, psum, b * K).ll;
    ll += bll[b];
  }
  return blockStarts ? { posterior, logLikelihood: ll, blockLogLikelihood: bll } : { posterior, logLikelihood: ll };
}
