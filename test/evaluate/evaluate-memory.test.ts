import fc from 'fast-check';
import { evaluateSync } from '../../src/evaluate/evaluate';

/** Straightforward definitions, written independently of the Scorer. */
function naive(sets: number[][], scores: Float64Array, c: number, original: number[]) {
  const n = sets.length;
  let r1 = 0, r5 = 0, strict = 0, o1 = 0, o5 = 0, scored = 0;
  for (let i = 0; i < n; i++) {
    const row = Array.from(scores.subarray(i * c, (i + 1) * c));
    const order = row.map((_, j) => j).sort((a, b) => row[b] - row[a] || a - b);
    const s = new Set(sets[i]);
    if (order[0] === original[i]) o1++;
    if (order.slice(0, 5).includes(original[i])) o5++;
    if (s.size === 0) continue;
    scored++;
    if (s.has(order[0])) r1++;
    if (order.slice(0, 5).some((p) => s.has(p))) r5++;
    const top = new Set(order.slice(0, s.size));
    if ([...s].every((x) => top.has(x))) strict++;
  }
  return { realTop1: r1 / scored, realTop5: r5 / scored, realStrict: strict / scored, originalTop1: o1 / n, originalTop5: o5 / n, nScored: scored, nSkipped: n - scored };
}

describe('evaluate (in memory)', () => {
  it('scores a hand-made example', () => {
    const labels = [[1], [2, 3], [], [4], [0, 5]];
    const c = 6;
    // Row-major logits; the top-1 per row is marked.
    const scores = new Float32Array([
      0, 9, 1, 1, 1, 1, // top1 = 1 (in set)
      0, 1, 5, 9, 1, 1, // top2 = {3, 2} = set → strict
      9, 0, 0, 0, 0, 0, // empty set → skipped
      5, 4, 3, 2, 1, 0, // 4 is rank 4 → top-5 hit only
      0, 1, 1, 1, 1, 9, // top1 5 in set; top2 {5, 1} ≠ {0, 5}
    ]);
    const r = evaluateSync({ labels, predictions: [{ scores, numClasses: c }], original: [1, 2, 0, 4, 5] });
    const m = r.models[0];
    expect(m.kind).toBe('scores');
    expect(m.nScored).toBe(4);
    expect(m.nSkipped).toBe(1);
    expect(m.realTop1).toBeCloseTo(3 / 4, 15);
    expect(m.realTop5).toBeCloseTo(4 / 4, 15);
    expect(m.realStrict).toBeCloseTo(2 / 4, 15); // rows 0 and 1
    expect(m.originalTop1).toBeCloseTo(3 / 5, 15); // rows 0, 2, 4
    expect(m.originalTop5).toBeCloseTo(5 / 5, 15);
    expect(Array.from(m.top1)).toEqual([1, 3, 0, 0, 5]);
    // Per class: class 5 is in one set (row 4) and hit; class 0 is in row 4's set too.
    expect(m.perClass.realN[0]).toBe(1);
    expect(m.perClass.realTop1[0]).toBe(1);
    expect(m.perClass.realN[4]).toBe(1);
    expect(m.perClass.realTop1[4]).toBe(0);
    expect(m.perClass.realTop5![4]).toBe(1);
  });

  it('agrees with the plain definitions on random data, both backends', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 30 }), fc.integer({ min: 2, max: 25 }), fc.integer(),
        (n, c, seed) => {
          let s = seed >>> 0;
          const rnd = () => ((s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 2 ** 32);
          const sets = Array.from({ length: n }, () => {
            const size = Math.floor(rnd() * Math.min(c, 8));
            return [...new Set(Array.from({ length: size }, () => Math.floor(rnd() * c)))];
          });
          const scores = new Float64Array(n * c).map(() => Math.floor(rnd() * 5));
          const original = Array.from({ length: n }, () => Math.floor(rnd() * c));
          if (sets.every((x) => x.length === 0)) sets[0] = [0];
          const want = naive(sets, scores, c, original);
          for (const backend of ['ts', 'auto'] as const) {
            const m = evaluateSync({ labels: sets, predictions: [{ scores, numClasses: c }], original, backend }).models[0];
            for (const key of Object.keys(want) as Array<keyof typeof want>) expect(m[key]).toBeCloseTo(want[key], 12);
          }
        },
      ),
      { numRuns: 200 },
    );
  });

  it('top-1 predictions give top-1 metrics only', () => {
    const r = evaluateSync({ labels: [[1], [2, 3], []], predictions: [[1, 3, 0], Int32Array.from([0, 2, 0])], original: [1, 2, 0], numClasses: 4, names: ['a', 'b'] });
    expect(r.models.map((m) => m.name)).toEqual(['a', 'b']);
    expect(r.models[0]).toMatchObject({ kind: 'top1', realTop1: 1, realTop5: null, realStrict: null, originalTop1: 2 / 3, originalTop5: null, nScored: 2, nSkipped: 1 });
    expect(r.models[1]).toMatchObject({ realTop1: 0.5, originalTop1: 2 / 3 });
  });

  it('reports bad input with the culprit named', () => {
    const labels = [[1], [2]];
    expect(() => evaluateSync({ labels, predictions: [[1, 2, 3]], numClasses: 5, names: ['p.npy'] })).toThrow('p.npy: has 3 predictions but the label file has 2 images');
    expect(() => evaluateSync({ labels: [[1], [7]], predictions: [[1, 2]], numClasses: 5 })).toThrow('labels: image 1: label 7 is not a class index in [0, 5)');
    expect(() => evaluateSync({ labels, predictions: [[1, 5]], numClasses: 5 })).toThrow('model 1: prediction 5 at image 1');
    expect(() => evaluateSync({ labels, predictions: [[1, 2]], original: [0], numClasses: 5 })).toThrow('original: has 1 labels');
    expect(() => evaluateSync({ labels, predictions: [] })).toThrow(/non-empty/);
    expect(() => evaluateSync({ labels: [[1], [0]], predictions: [{ scores: new Float32Array(5), numClasses: 2 }] })).toThrow(/do not form rows/);
  });
});
