import { analyzeSync } from '../../src/analyze/analyze';
import { labelMultiplicity } from '../../src/analyze/multiplicity';
import { displayNames } from '../../src/analyze/names';
import { coOccurring, unbiasedOracle } from '../../src/analyze/oracle';
import { accuracySlopes, fit } from '../../src/analyze/slopes';
import { indexLabelSets } from '../../src/evaluate/label-index';

describe('unbiased oracle', () => {
  // Class 0: images {0}, {0, 1}, {1} → (1 + 1/2 + 0) / 3. Class 2: {2, 3, 4} → 1/3; the empty set is left out.
  const sets = [[0], [0, 1], [1], [2, 3, 4], []];
  const original = Int32Array.from([0, 0, 0, 2, 2]);
  const labels = indexLabelSets(sets, 5);

  it('is the mean of [o in S] / |S| per original class', () => {
    const o = unbiasedOracle(labels, original, 5);
    expect(o.perClass[0]).toBeCloseTo(0.5, 15);
    expect(o.perClass[2]).toBeCloseTo(1 / 3, 15);
    expect(Number.isNaN(o.perClass[1])).toBe(true);
    expect(Array.from(o.n)).toEqual([3, 0, 1, 0, 0]);
    expect(o.overall).toBeCloseTo((1 + 0.5 + 0 + 1 / 3) / 4, 15);
  });

  it('counts co-occurring classes on the images that confirm the original label', () => {
    const co = coOccurring(labels, original, [0, 2], 5);
    expect(co.get(0)).toEqual({ base: 2, top: [{ class: 1, count: 1, share: 0.5 }] });
    // Ties in share go to the lower class.
    expect(co.get(2)!.top.map((x) => x.class)).toEqual([3, 4]);
  });
});

describe('label multiplicity', () => {
  it('counts set sizes and ranks pairs by count, ties to the lower pair', () => {
    const labels = indexLabelSets([[5, 1], [1, 5, 2], [], [3], [2, 1], [4, 0]], 6);
    const m = labelMultiplicity(labels, 6, 3);
    expect(m.size_counts).toEqual([1, 1, 3, 1]);
    expect(m.n_multi).toBe(4);
    expect(m.share_multi).toBeCloseTo(4 / 6, 15);
    expect(m.share_multi_of_labelled).toBeCloseTo(4 / 5, 15);
    expect(m.top_pairs).toEqual([
      { a: 1, b: 2, count: 2 },
      { a: 1, b: 5, count: 2 },
      { a: 0, b: 4, count: 1 },
    ]);
  });
});

describe('ReaL-vs-original slopes', () => {
  it('recovers the slopes of two lines from the weaker and stronger halves', () => {
    const weaker = [0.6, 0.65, 0.7, 0.72].map((x, i) => ({ name: `w${i}`, original: x, real: 0.86 * x + 0.1 }));
    const stronger = [0.76, 0.8, 0.84, 0.88].map((x, i) => ({ name: `s${i}`, original: x, real: 0.51 * x + 0.37 }));
    const s = accuracySlopes([...stronger, ...weaker]);
    expect(s.weaker!.slope).toBeCloseTo(0.86, 12);
    expect(s.stronger!.slope).toBeCloseTo(0.51, 12);
    expect(s.weaker!.models).toEqual(['w0', 'w1', 'w2', 'w3']);
  });

  it('has no fit for fewer than two distinct points', () => {
    expect(fit([{ name: 'a', original: 0.5, real: 0.6 }])).toBeNull();
    expect(fit([{ name: 'a', original: 0.5, real: 0.6 }, { name: 'b', original: 0.5, real: 0.7 }])).toBeNull();
    const s = accuracySlopes([{ name: 'a', original: 0.5, real: 0.6 }, { name: 'b', original: 0.6, real: 0.7 }]);
    expect(s.weaker).toBeNull();
    expect(s.all!.slope).toBeCloseTo(1, 12);
  });
});

describe('analyze (in memory)', () => {
  it('finds the classes a model beats the oracle on', () => {
    // Class 0's images all also show class 1: the oracle gets 1/2, a model always saying 0 gets 1.
    const sets = [[0, 1], [0, 1], [1], [1]];
    const r = analyzeSync({ labels: sets, original: [0, 0, 1, 1], predictions: [[0, 0, 1, 1], [1, 1, 1, 1]], names: ['biased', 'fair'], numClasses: 2 });
    expect(r.per_class.oracle).toEqual([0.5, 1]);
    expect(r.beats_oracle[0]).toMatchObject({ model: 'biased', n_classes: 1, n_compared: 2 });
    expect(r.beats_oracle[0].classes[0]).toMatchObject({ class: 0, model_accuracy: 1, oracle_accuracy: 0.5 });
    expect(r.beats_oracle[1].n_classes).toBe(0);
    expect(r.models.map((m) => m.classes_beating_oracle)).toEqual([1, 0]);
    expect(r.oracle.below.map((b) => b.class)).toEqual([0]);
    // ReaL per class: images whose set holds the class, hit when the top-1 is anywhere in the set.
    expect(r.per_class.models[1].real).toEqual([1, 1]);
  });
});

describe('display names', () => {
  it('disambiguates homonyms', () => {
    expect(displayNames([{ name: 'crane' }, { name: 'maillot' }, { name: 'maillot, tank suit' }, { name: 'crane' }, { name: 'tench, Tinca tinca' }])).toEqual([
      'crane #0', 'maillot', 'maillot (tank suit)', 'crane #3', 'tench',
    ]);
  });
});
