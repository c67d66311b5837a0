/** Display names for classes: the synset's first name, made unique. */

/**
 * ImageNet has homonyms (two "crane"s, two "maillot"s): a repeated first
 * name gets the synset's second name in parentheses where it has one; one
 * still ambiguous gets its index.
 */
export function displayNames(synsets: Array<{ name: string }>): string[] {
  const first = synsets.map((s) => s.name.split(',')[0].trim());
  const tally = (names: string[]) => names.reduce((m, f) => m.set(f, (m.get(f) ?? 0) + 1), new Map<string, number>());
  const firstCount = tally(first);
  const named = synsets.map((s, i) => {
    if (firstCount.get(first[i]) === 1) return first[i];
    const second = s.name.split(',')[1]?.trim();
    return second ? `${first[i]} (${second})` : first[i];
  });
  const namedCount = tally(named);
  return named.map((n, i) => (namedCount.get(n) === 1 ? n : `${n} #${i}`));
}
