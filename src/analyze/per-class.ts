/**
 * Per-class accuracy of each model, against the original labels (by original
 * class) and against ReaL (by every class in the image's set), plus the
 * original accuracy on only the images that have a ReaL set: the images the
 * oracle is scored on, so that "beats the oracle" compares like with like.
 */
import type { LabelIndex } from '../evaluate/label-index';
import type { ModelResult } from '../evaluate/evaluate';

export interface ModelPerClass {
  name: string;
  /** originalTop1 / originalN per class (null without images). */
  original: (number | null)[];
  /** Same, on images with a non-empty ReaL set. */
  original_labelled: (number | null)[];
  /** realTop1 / realN per class. */
  real: (number | null)[];
}

export function modelPerClass(model: ModelResult, labels: LabelIndex, original: Int32Array, c: number): ModelPerClass {
  const hits = new Int32Array(c);
  const n = new Int32Array(c);
  for (let i = 0; i < labels.n; i++) {
    if (labels.offsets[i + 1] === labels.offsets[i]) continue;
    n[original[i]]++;
    if (model.top1[i] === original[i]) hits[original[i]]++;
  }
  const pc = model.perClass;
  return {
    name: model.name,
    original: ratio(pc.originalTop1, pc.originalN),
    original_labelled: ratio(hits, n),
    real: ratio(pc.realTop1, pc.realN),
  };
}

export function ratio(num: ArrayLike<number>, den: ArrayLike<number>): (number | null)[] {
  return Array.from(den, (d, i) => (d > 0 ? num[i] / d : null));
}

export interface OracleComparison {
  model: string;
  /** Classes where the model's accuracy is above the oracle's. */
  n_classes: number;
  /** Classes where both are defined. */
  n_compared: number;
  /** Those classes, largest margin first (ties to the lower class). */
  classes: Array<{ class: number; model_accuracy: number; oracle_accuracy: number; n: number }>;
}

/**
 * Classes on which a model beats the unbiased oracle against the original
 * labels: the model reproduces the original label more often than a
 * labeller who picks uniformly among the objects actually present, i.e. it
 * has learned the original labelling's bias (the paper's Figure 6).
 */
export function beatsOracle(pc: ModelPerClass, oracle: Float64Array, oracleN: Int32Array): OracleComparison {
  const classes: OracleComparison['classes'] = [];
  let compared = 0;
  for (let c = 0; c < oracle.length; c++) {
    const m = pc.original_labelled[c];
    if (m === null || Number.isNaN(oracle[c])) continue;
    compared++;
    if (m > oracle[c]) classes.push({ class: c, model_accuracy: m, oracle_accuracy: oracle[c], n: oracleN[c] });
  }
  classes.sort((a, b) => b.model_accuracy - b.oracle_accuracy - (a.model_accuracy - a.oracle_accuracy) || a.class - b.class);
  return { model: pc.name, n_classes: classes.length, n_compared: compared, classes };
}
