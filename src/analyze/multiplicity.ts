/**
 * Label multiplicity: how many images carry several ReaL labels, and which
 * pairs of classes are labelled together most often.
 */
import type { LabelIndex } from '../evaluate/label-index';

export interface LabelPair {
  a: number;
  b: number;
  /** Images whose set holds both. */
  count: number;
}

export interface Multiplicity {
  n_images: number;
  /** Images with a non-empty set. */
  n_labelled: number;
  /** Images with two or more labels. */
  n_multi: number;
  /** n_multi / n_images. */
  share_multi: number;
  /** n_multi / n_labelled. */
  share_multi_of_labelled: number;
  /** sizeCounts[s] = images with exactly s labels. */
  size_counts: number[];
  /** Most frequent co-occurring pairs (a < b), by count, ties to the lower (a, b). */
  top_pairs: LabelPair[];
}

export function labelMultiplicity(labels: LabelIndex, numClasses: number, topPairs: number): Multiplicity {
  const sizes = new Array<number>(labels.maxSize + 1).fill(0);
  // Sparse: a few thousand pairs occur, out of C^2 possible.
  const pairs = new Map<number, number>();
  for (let i = 0; i < labels.n; i++) {
    const s = labels.offsets[i];
    const e = labels.offsets[i + 1];
    sizes[e - s]++;
    for (let p = s; p < e; p++) {
      for (let q = p + 1; q < e; q++) {
        const x = labels.labels[p], y = labels.labels[q];
        const key = Math.min(x, y) * numClasses + Math.max(x, y);
        pairs.set(key, (pairs.get(key) ?? 0) + 1);
      }
    }
  }
  const labelled = labels.n - sizes[0];
  const multi = labelled - (sizes[1] ?? 0);
  return {
    n_images: labels.n,
    n_labelled: labelled,
    n_multi: multi,
    share_multi: labels.n > 0 ? multi / labels.n : NaN,
    share_multi_of_labelled: labelled > 0 ? multi / labelled : NaN,
    size_counts: sizes,
    top_pairs: topPairsOf(pairs, numClasses, topPairs),
  };
}

function topPairsOf(pairs: Map<number, number>, c: number, limit: number): LabelPair[] {
  return [...pairs]
    .sort((p, q) => q[1] - p[1] || p[0] - q[0]) // key order = (a, b) order
    .slice(0, limit)
    .map(([key, count]) => ({ a: Math.floor(key / c), b: key % c, count }));
}
