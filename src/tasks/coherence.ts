/**
 * How well a split keeps WordNet categories together.
 *
 * For an image's label set S, each WordNet synset H that is an ancestor of
 * some labels (over *all* hypernym paths, so also the categories the
 * canonical tree does not follow, such as "domestic animal") picks the subset
 * S_H of labels under it. A category *fits* when 2 <= |S_H| <= maxLabels
 * (it could be rated in one task) and is *kept* when one task holds all of
 * S_H. Categories with the same S_H count once, so a chain of categories
 * covering the same labels (dog, canine, carnivore...) is not over-weighted.
 * Sets of at most maxLabels labels are one task and keep every category;
 * the measure is interesting on the larger ones.
 */

export interface CategoryCount {
  /** Distinct category subsets that fit in one task. */
  fitting: number;
  /** Of those, the ones that one task holds entirely. */
  kept: number;
}

/**
 * Counts fitting and kept categories of one image. `ancestors[label]` lists
 * every WordNet ancestor of the label (ClassHierarchy.ancestors); `tasks`
 * partitions `labels`.
 */
export function categoryCount(
  labels: readonly number[],
  tasks: readonly (readonly number[])[],
  ancestors: readonly (readonly number[])[],
  maxLabels = 8,
): CategoryCount {
  const members = new Map<number, number[]>(); // synset -> labels under it
  for (const l of [...labels].sort((a, b) => a - b)) {
    for (const a of ancestors[l]) {
      let m = members.get(a);
      if (!m) members.set(a, (m = []));
      m.push(l);
    }
  }
  const taskOf = new Map<number, number>();
  tasks.forEach((t, i) => t.forEach((l) => taskOf.set(l, i)));
  const seen = new Set<string>();
  let fitting = 0;
  let kept = 0;
  for (const m of members.values()) {
    if (m.length < 2 || m.length > maxLabels) continue;
    const key = m.join(',');
    if (seen.has(key)) continue;
    seen.add(key);
    fitting++;
    if (m.every((l) => taskOf.get(l) === taskOf.get(m[0]))) kept++;
  }
  return { fitting, kept };
}

/** Baseline for comparison: sorted labels cut into consecutive chunks of maxLabels. */
export function chunkByIndex(labels: readonly number[], maxLabels = 8): number[][] {
  const sorted = [...labels].sort((a, b) => a - b);
  const out: number[][] = [];
  for (let i = 0; i < sorted.length; i += maxLabels) out.push(sorted.slice(i, i + maxLabels));
  return out;
}
