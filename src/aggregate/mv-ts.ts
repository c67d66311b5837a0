/**
 * Pure-TypeScript twin of the native majority vote (MajorityVote in
 * native/aggregate_core.cc): the same scatter order and normalisation.
 */
export function majorityVoteTs(
  question: Int32Array, answer: Int32Array, numQuestions: number, numClasses: number, votes: Float64Array,
): Float64Array {
  const K = numClasses;
  const out = new Float64Array(numQuestions * K);
  for (let i = 0; i < question.length; i++) {
    const v = answer[i] * K;
    const t = question[i] * K;
    for (let k = 0; k < K; k++) out[t + k] += votes[v + k];
  }
  for (let q = 0; q < numQuestions; q++) {
    let s = 0;
    for (let k = 0; k < K; k++) s += out[q * K + k];
    for (let k = 0; k < K; k++) out[q * K + k] = s > 0 ? out[q * K + k] / s : 1 / K;
  }
  return out;
}
