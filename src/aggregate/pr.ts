/**
 * Operating point against gold truth: precision and recall of "score >= t"
 * for every distinct score t (the paper's Figure 3), and the lowest
 * threshold that reaches a target precision.
 */
import { ValidationError } from '../errors';

export interface PrPoint {
  threshold: number;
  precision: number;
  recall: number;
  tp: number;
  fp: number;
  fn: number;
}

/** Points in ascending threshold order; `truth` is 1 / 0 (other values are skipped). */
export function prCurve(scores: ArrayLike<number>, truth: ArrayLike<number>): PrPoint[] {
  const idx: number[] = [];
  let positives = 0;
  for (let i = 0; i < scores.length; i++) {
    if (truth[i] !== 0 && truth[i] !== 1) continue;
    if (!Number.isFinite(scores[i])) throw new ValidationError(`score ${scores[i]} of gold question ${i} is not finite`);
    idx.push(i);
    positives += truth[i];
  }
  idx.sort((a, b) => scores[b] - scores[a] || a - b);
  const points: PrPoint[] = [];
  let tp = 0;
  let fp = 0;
  for (let j = 0; j < idx.length; j++) {
    if (truth[idx[j]] === 1) tp++;
    else fp++;
    // One point per distinct score: after the last question with that score.
    if (j + 1 < idx.length && scores[idx[j + 1]] === scores[idx[j]]) continue;
    points.push({ threshold: scores[idx[j]], precision: tp / (tp + fp), recall: positives > 0 ? tp / positives : 0, tp, fp, fn: positives - tp });
  }
  return points.reverse();
}

/** The lowest threshold whose precision reaches `target`, or null. */
export function thresholdForPrecision(points: PrPoint[], target: number): PrPoint | null {
  for (const p of points) if (p.precision >= target) return p;
  return null;
}

export function prCurveCsv(points: PrPoint[]): string {
  const rows = points.map((p) => `${p.threshold},${p.precision},${p.recall},${p.tp},${p.fp},${p.fn}`);
  return `threshold,precision,recall,true_positives,false_positives,false_negatives\n${rows.join('\n')}${rows.length ? '\n' : ''}`;
}
