/**
 * The paper's "unbiased oracle" (Section 5): for each image it predicts one
 * of the image's ReaL labels uniformly at random. Scored against the
 * original labels, its expected accuracy on image i is [o_i in S_i] / |S_i|;
 * per class it is the mean over the images whose original label is the class
 * (images with an empty ReaL set are left out: the oracle has nothing to say).
 * A class where even this oracle is far from 100% is one whose original label
 * is ambiguous, usually because other classes co-occur in its images.
 */
import type { LabelIndex } from '../evaluate/label-index';

export interface OracleResult {
  /** Expected accuracy per original class; NaN when the class has no labelled image. */
  perClass: Float64Array;
  /** Images per original class that have a ReaL set. */
  n: Int32Array;
  /** Expected accuracy over all labelled images. */
  overall: number;
}

export function unbiasedOracle(labels: LabelIndex, original: Int32Array, numClasses: number): OracleResult {
  const sum = new Float64Array(numClasses);
  const n = new Int32Array(numClasses);
  let total = 0;
  let count = 0;
  for (let i = 0; i < labels.n; i++) {
    const s = labels.offsets[i];
    const m = labels.offsets[i + 1] - s;
    if (m === 0) continue;
    const o = original[i];
    const hit = labels.labels.subarray(s, s + m).includes(o) ? 1 / m : 0;
    sum[o] += hit;
    n[o]++;
    total += hit;
    count++;
  }
  const perClass = new Float64Array(numClasses);
  for (let c = 0; c < numClasses; c++) perClass[c] = n[c] > 0 ? sum[c] / n[c] : NaN;
  return { perClass, n, overall: count > 0 ? total / count : NaN };
}

export interface CoOccurrence {
  class: number;
  /** Images (of the base class) whose set also holds this class. */
  count: number;
  /** count / base images. */
  share: number;
}

export interface ClassCoOccurrence {
  /** Images whose original label is the class and whose ReaL set confirms it. */
  base: number;
  top: CoOccurrence[];
}

/**
 * Classes that co-occur with each class in `classes`: among the images whose
 * original label is the class and whose ReaL set contains it, the share
 * whose set also holds each other class. Ordered by share, ties to the lower
 * class. (This reproduces the paper's Table 1: desktop computer → monitor
 * 87%, keyboard 78%.) One pass over the images for all classes.
 */
export function coOccurring(
  labels: LabelIndex,
  original: Int32Array,
  classes: Iterable<number>,
  limit: number,
): Map<number, ClassCoOccurrence> {
  const acc = new Map<number, { base: number; counts: Map<number, number> }>();
  for (const c of classes) acc.set(c, { base: 0, counts: new Map() });
  for (let i = 0; i < labels.n; i++) {
    const a = acc.get(original[i]);
    if (!a) continue;
    const set = labels.labels.subarray(labels.offsets[i], labels.offsets[i + 1]);
    if (!set.includes(original[i])) continue;
    a.base++;
    for (const d of set) if (d !== original[i]) a.counts.set(d, (a.counts.get(d) ?? 0) + 1);
  }
  const out = new Map<number, ClassCoOccurrence>();
  for (const [c, { base, counts }] of acc) {
    const top = [...counts]
      .sort((x, y) => y[1] - x[1] || x[0] - y[0])
      .slice(0, limit)
      .map(([d, count]) => ({ class: d, count, share: count / base }));
    out.set(c, { base, top });
  }
  return out;
}
