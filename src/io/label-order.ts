/**
 * The order of categorical labels read from a file (the columns of the
 * posterior, crowd-kit's `probas_` columns). Independent of the parser: it
 * sees only the distinct label strings.
 *
 * Labels that all parse as numbers (`1`, `2.0`, `10`, `-3.5e2`) are ordered
 * by value, as pandas orders a numeric label column: `2.0` before `10.0`.
 * Equal values written differently (`2`, `2.0`) stay distinct labels,
 * ordered by their text. Otherwise labels are ordered by UTF-16 code unit
 * (JavaScript's default sort; `true`/`false` labels land as `false`, `true`).
 */
const NUMBER = /^[+-]?(\d+\.?\d*|\.\d+)(e[+-]?\d+)?$/i;

export function categoricalAlphabet(labels: Iterable<string>): string[] {
  const uniq = [...new Set(labels)];
  const byText = (x: string, y: string): number => (x < y ? -1 : x > y ? 1 : 0);
  const numeric = uniq.length > 0 && uniq.every((s) => NUMBER.test(s) && Number.isFinite(Number(s)));
  return numeric ? uniq.sort((x, y) => Number(x) - Number(y) || byText(x, y)) : uniq.sort(byText);
}
