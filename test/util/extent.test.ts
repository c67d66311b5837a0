/**
 * Extremes without argument spreading: the arrays these see (one task name
 * per question, one string per row) are far past the call-stack limit of
 * Math.max(...xs).
 */
import { dtypeOf } from '../../src/io/npy';
import { maxOf, minOf, unicodeWidth } from '../../src/util/extent';

describe('maxOf, minOf, unicodeWidth', () => {
  const many = Array.from({ length: 1_000_000 }, (_, i) => `t${i}`);

  it('a million strings (Math.max(1, ...lengths) overflows the stack here)', () => {
    expect(unicodeWidth(many)).toBe(7); // 't999999'
    expect(dtypeOf(many)).toBe('U7');
    const lengths = many.map((s) => s.length);
    expect(maxOf(lengths)).toBe(7);
    expect(minOf(lengths)).toBe(2);
  });

  it('counts code points as numpy does, with the starts and empties of Math.max/min', () => {
    expect(unicodeWidth(['a', '\u{1F600}\u{1F600}', 'é'])).toBe(2); // two astral characters: 4 UTF-16 units
    expect(unicodeWidth([])).toBe(1);
    expect(unicodeWidth([''])).toBe(1);
    expect(maxOf([], 5)).toBe(5);
    expect(maxOf([])).toBe(-Infinity);
    expect(minOf([3, -1, 2])).toBe(-1);
    expect(minOf([3], 0)).toBe(0);
  });
});
