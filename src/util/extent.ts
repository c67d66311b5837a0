/**
 * Largest / smallest values without spreading an array into arguments:
 * `Math.max(...xs)` overflows the call stack once xs holds a few hundred
 * thousand entries (one task name per question, one string per row).
 */

/** The largest of `values` and `start`. */
export function maxOf(values: Iterable<number>, start = -Infinity): number {
  let m = start;
  for (const v of values) if (v > m) m = v;
  return m;
}

/** The smallest of `values` and `start`. */
export function minOf(values: Iterable<number>, start = Infinity): number {
  let m = start;
  for (const v of values) if (v < m) m = v;
  return m;
}

/** Code points in s (numpy's U<n> counts characters, not UTF-16 units). */
export function codePoints(s: string): number {
  let n = 0;
  for (const _ of s) n++;
  return n;
}

/** The width of a numpy unicode dtype for `strings`: the longest in code points, at least 1. */
export function unicodeWidth(strings: Iterable<string>): number {
  let m = 1;
  for (const s of strings) {
    if (s.length <= m) continue; // never more code points than UTF-16 units
    const n = codePoints(s);
    if (n > m) m = n;
  }
  return m;
}
