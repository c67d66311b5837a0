/**
 * Rater agreement on answers grouped by question: Fleiss' kappa (the
 * generalisation to a varying number of raters per question: questions with
 * fewer than two answers are left out) and pairwise percent agreement, in
 * total and per rater (how often a rater agrees with the others on the same
 * question).
 */

export interface AgreementInput {
  /** Question of each answer; answers of one question need not be adjacent. */
  question: Int32Array;
  rater: Int32Array;
  answer: Int32Array;
  numQuestions: number;
  numRaters: number;
  numAnswers: number;
}

export interface Agreement {
  /** Fleiss' kappa, null with no question answered twice or no spread in the answers. */
  fleissKappa: number | null;
  /** Share of agreeing pairs among all pairs of answers to the same question. */
  pairwise: number | null;
  pairs: number;
  /** Per rater: agreeing pairs and pairs. */
  perRater: Array<{ agree: number; pairs: number }>;
  /** Questions with at least two answers. */
  questions: number;
}

export function agreement(x: AgreementInput): Agreement {
  const A = x.numAnswers;
  const counts = new Int32Array(x.numQuestions * A);
  for (let i = 0; i < x.question.length; i++) counts[x.question[i] * A + x.answer[i]]++;
  const totals = new Float64Array(A);
  let pSum = 0;
  let items = 0;
  let rated = 0;
  let agreePairs = 0;
  let allPairs = 0;
  for (let q = 0; q < x.numQuestions; q++) {
    let n = 0;
    let same = 0;
    for (let a = 0; a < A; a++) {
      const c = counts[q * A + a];
      n += c;
      same += c * (c - 1);
    }
    if (n < 2) continue;
    items++;
    pSum += same / (n * (n - 1));
    for (let a = 0; a < A; a++) totals[a] += counts[q * A + a];
    rated += n;
    agreePairs += same / 2;
    allPairs += (n * (n - 1)) / 2;
  }
  let pe = 0;
  for (let a = 0; a < A; a++) pe += (totals[a] / rated) ** 2;
  const pBar = items ? pSum / items : 0;
  const fleissKappa = items && pe < 1 ? (pBar - pe) / (1 - pe) : null;
  const perRater = Array.from({ length: x.numRaters }, () => ({ agree: 0, pairs: 0 }));
  for (let i = 0; i < x.question.length; i++) {
    const base = x.question[i] * A;
    let n = 0;
    for (let a = 0; a < A; a++) n += counts[base + a];
    if (n < 2) continue;
    perRater[x.rater[i]].pairs += n - 1;
    perRater[x.rater[i]].agree += counts[base + x.answer[i]] - 1;
  }
  return { fleissKappa, pairwise: allPairs ? agreePairs / allPairs : null, pairs: allPairs, perRater, questions: items };
}

/** The median of a list (null when empty). */
export function median(values: number[]): number | null {
  if (!values.length) return null;
  const s = values.slice().sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}
