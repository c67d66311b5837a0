/**
 * What the demo reports: how the new label sets differ from the original
 * labels, how well each recovers the simulated truth, and how the models'
 * ranking changes from original to ReaL accuracy.
 */

/** ReaL sets against the original labels. */
export interface LabelChanges {
  images: number;
  /** Images whose set does not hold the original label but another one (the label was fixed). */
  fixed: number;
  /** Of the fixed images, those whose original label is wrong by the simulated truth. */
  fixed_truly_wrong: number;
  /** Images whose original label is wrong by the simulated truth. */
  truly_wrong: number;
  /** Labels added next to a kept original label (multi-label images). */
  added: number;
  /** Images that keep their original label and gained at least one more. */
  images_with_added: number;
  /** Images left without any label (no label judged present). */
  emptied: number;
  unchanged: number;
}

export function labelChanges(sets: number[][], original: ArrayLike<number>, truth: number[][]): LabelChanges {
  const r: LabelChanges = { images: sets.length, fixed: 0, fixed_truly_wrong: 0, truly_wrong: 0, added: 0, images_with_added: 0, emptied: 0, unchanged: 0 };
  sets.forEach((s, i) => {
    const o = original[i];
    const wrong = !truth[i].includes(o);
    if (wrong) r.truly_wrong++;
    if (s.length === 0) r.emptied++;
    else if (!s.includes(o)) {
      r.fixed++;
      if (wrong) r.fixed_truly_wrong++;
    } else if (s.length > 1) {
      r.added += s.length - 1;
      r.images_with_added++;
    } else r.unchanged++;
  });
  return r;
}

/** Label sets against the truth: exact sets, and label precision / recall. */
export interface Recovery {
  exact_sets: number;
  precision: number;
  recall: number;
}

export function recovery(sets: ArrayLike<ArrayLike<number>>, truth: number[][]): Recovery {
  let exact = 0;
  let hit = 0;
  let given = 0;
  let wanted = 0;
  truth.forEach((t, i) => {
    const s = Array.from(sets[i]);
    const h = s.filter((l) => t.includes(l)).length;
    hit += h;
    given += s.length;
    wanted += t.length;
    if (h === t.length && s.length === t.length) exact++;
  });
  return { exact_sets: exact / truth.length, precision: given ? hit / given : 0, recall: wanted ? hit / wanted : 0 };
}

export interface ModelRow {
  model: string;
  real_top1: number;
  original_top1: number;
  /** Top-1 accuracy against the simulated truth (unknowable on real data). */
  true_top1: number;
  rank_real: number;
  rank_original: number;
  rank_true: number;
}

/** 1-based ranks, best (highest) first; ties to the lower index. */
export function ranks(values: number[]): number[] {
  const order = values.map((_, i) => i).sort((a, b) => values[b] - values[a] || a - b);
  const rank = new Array<number>(values.length);
  order.forEach((m, r) => (rank[m] = r + 1));
  return rank;
}

export function modelRows(names: string[], real: number[], original: number[], truth: number[]): ModelRow[] {
  const [rr, ro, rt] = [ranks(real), ranks(original), ranks(truth)];
  return names.map((model, m) => ({
    model, real_top1: real[m], original_top1: original[m], true_top1: truth[m], rank_real: rr[m], rank_original: ro[m], rank_true: rt[m],
  }));
}

/** Model pairs ordered the same way by two rankings (Kendall's tau numerator over pairs). */
export function concordantPairs(a: number[], b: number[]): { concordant: number; pairs: number } {
  let concordant = 0;
  let pairs = 0;
  for (let i = 0; i < a.length; i++) {
    for (let j = i + 1; j < a.length; j++) {
      pairs++;
      if (Math.sign(a[i] - a[j]) === Math.sign(b[i] - b[j])) concordant++;
    }
  }
  return { concordant, pairs };
}

export interface Reordering {
  /** Model pairs whose order differs between original and ReaL accuracy. */
  swapped_pairs: number;
  pairs: number;
  /** Pairs ordered as by the true accuracy: by ReaL, by original accuracy. */
  agree_with_truth_real: number;
  agree_with_truth_original: number;
}

export function reordering(rows: ModelRow[]): Reordering {
  const real = rows.map((r) => r.rank_real);
  const orig = rows.map((r) => r.rank_original);
  const truth = rows.map((r) => r.rank_true);
  const ro = concordantPairs(real, orig);
  return {
    swapped_pairs: ro.pairs - ro.concordant,
    pairs: ro.pairs,
    agree_with_truth_real: concordantPairs(real, truth).concordant,
    agree_with_truth_original: concordantPairs(orig, truth).concordant,
  };
}
