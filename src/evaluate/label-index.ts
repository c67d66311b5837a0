/**
 * ReaL label sets in compressed-row form (offsets + flat labels): the shape
 * the scoring loops want, built once per run and validated against C.
 */
import { ValidationError } from '../errors';

export interface LabelIndex {
  /** Number of images. */
  n: number;
  /** Start of image i's labels in `labels`; offsets[n] = labels.length. */
  offsets: Int32Array;
  /** Class indices, each set without duplicates, in the order given. */
  labels: Int32Array;
  /** Largest set size. */
  maxSize: number;
}

/**
 * Validates (integers in [0, numClasses)) and packs label sets. Duplicate
 * labels within a set are dropped: a set is a set.
 */
export function indexLabelSets(sets: ArrayLike<ArrayLike<number>>, numClasses: number, file?: string): LabelIndex {
  const n = sets.length;
  const offsets = new Int32Array(n + 1);
  let total = 0;
  for (let i = 0; i < n; i++) total += checkSet(sets[i], i, file).length;
  const labels = new Int32Array(total);
  let at = 0;
  let maxSize = 0;
  for (let i = 0; i < n; i++) {
    const set = sets[i];
    const start = at;
    for (let j = 0; j < set.length; j++) {
      const l = set[j];
      if (!Number.isInteger(l) || l < 0 || l >= numClasses) {
        throw new ValidationError(`image ${i}: label ${l} is not a class index in [0, ${numClasses})`, file);
      }
      if (!labels.subarray(start, at).includes(l)) labels[at++] = l;
    }
    offsets[i + 1] = at;
    maxSize = Math.max(maxSize, at - start);
  }
  return { n, offsets, labels: labels.subarray(0, at), maxSize };
}

function checkSet(set: ArrayLike<number>, i: number, file?: string): ArrayLike<number> {
  if (set == null || typeof set !== 'object' || typeof set.length !== 'number') {
    throw new ValidationError(`image ${i}: label set is not a list`, file);
  }
  return set;
}

/** The sets back as arrays (for exports and analyses that want them). */
export function labelSetAt(index: LabelIndex, i: number): Int32Array {
  return index.labels.subarray(index.offsets[i], index.offsets[i + 1]);
}
