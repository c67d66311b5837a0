import { rng } from '../helpers/rng';
import fc from 'fast-check';
import { poolPairsSync, hasModel, type PoolInput, type Pooled } from '../../src/pool/pool';
import { hasNative } from '../../src/native/addon';

/** Dense reference: a votes matrix [n, c] and per-model counts, counted directly. */
function denseReference(input: PoolInput): Pooled {
  const { n, c, models, sources, forced } = input;
  const minVotes = input.minVotes ?? 2;
  const counts: number[][] = Array.from({ length: n * c }, () => []);
  sources.forEach((s, si) => {
    const seen = new Set<number>();
    for (let j = 0; j < s.image.length; j++) {
      const flat = s.image[j] * c + s.label[j];
      if (seen.has(flat)) continue;
      seen.add(flat);
      counts[flat].push(si);
    }
  });
  const isForced = new Uint8Array(n * c);
  for (const row of forced) row.forEach((lb, i) => (isForced[i * c + lb] = 1));
  const image: number[] = [];
  const label: number[] = [];
  const votes: number[] = [];
  const perPair: number[][] = [];
  for (let flat = 0; flat < n * c; flat++) {
    const v = counts[flat].length;
    if (v < minVotes && !isForced[flat]) continue;
    image.push(Math.floor(flat / c));
    label.push(flat % c);
    votes.push(v);
    const perModel = new Array(models).fill(0);
    for (const si of counts[flat]) perModel[sources[si].model]++;
    perPair.push(perModel);
  }
  const words = (models + 31) >>> 5;
  let planes = 1;
  const perModelSources = new Array(models).fill(0);
  for (const s of sources) perModelSources[s.model]++;
  for (const k of perModelSources) planes = Math.max(planes, k);
  const masks = Array.from({ length: planes }, () => new Uint32Array(image.length * words));
  perPair.forEach((perModel, p) =>
    perModel.forEach((k, m) => {
      for (let j = 0; j < k; j++) masks[j][p * words + (m >>> 5)] |= 1 << (m & 31);
    }),
  );
  return {
    image: Int32Array.from(image),
    label: Int32Array.from(label),
    votes: Int32Array.from(votes),
    masks,
    models: masks[0],
    words,
    planes,
  };
}

function randomInput(rng: () => number, n: number, c: number, models: number, perSource: number, minVotes: number): PoolInput {
  const sources = [];
  for (let m = 0; m < models; m++) {
    for (let t = 0; t < 2; t++) {
      const len = Math.floor(rng() * perSource);
      const image = Int32Array.from({ length: len }, () => Math.floor(rng() * n));
      const label = Int32Array.from({ length: len }, () => Math.floor(rng() * c));
      sources.push({ image, label, model: m });
    }
  }
  const forced = Array.from({ length: models + 1 }, () => Int32Array.from({ length: n }, () => Math.floor(rng() * c)));
  return { n, c, models, sources, forced, minVotes };
}


const itNative = hasNative() ? it : it.skip;

describe('poolPairs', () => {
  it('TS twin equals the dense reference (random cases, duplicates included)', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 2 ** 31 - 1 }),
        fc.integer({ min: 1, max: 12 }),
        fc.integer({ min: 1, max: 9 }),
        fc.integer({ min: 1, max: 40 }),
        fc.integer({ min: 1, max: 4 }),
        (seed, n, c, models, minVotes) => {
          const input = randomInput(rng(seed), n, c, models, 3 * n, minVotes);
          expect(poolPairsSync(input, { backend: 'ts' })).toEqual(denseReference(input));
        },
      ),
      { numRuns: 150 },
    );
  });

  itNative('native equals the TS twin byte for byte (random cases, > 32 models)', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 2 ** 31 - 1 }),
        fc.integer({ min: 1, max: 30 }),
        fc.integer({ min: 1, max: 25 }),
        fc.integer({ min: 1, max: 70 }),
        fc.integer({ min: 1, max: 5 }),
        (seed, n, c, models, minVotes) => {
          const input = randomInput(rng(seed), n, c, models, 4 * n, minVotes);
          expect(poolPairsSync(input, { backend: 'native' })).toEqual(poolPairsSync(input, { backend: 'ts' }));
        },
      ),
      { numRuns: 150 },
    );
  });

  itNative('native equals the twin on a larger case', () => {
    const input = randomInput(rng(7), 3000, 300, 19, 9000, 2);
    const a = poolPairsSync(input, { backend: 'native' });
    const b = poolPairsSync(input, { backend: 'ts' });
    expect(a).toEqual(b);
    expect(a.image.length).toBeGreaterThan(3000);
  });

  it('keeps forced pairs with their true vote count and sorts by (image, label)', () => {
    const input: PoolInput = {
      n: 2,
      c: 5,
      models: 2,
      sources: [
        { image: Int32Array.of(1, 0), label: Int32Array.of(4, 3), model: 0 },
        { image: Int32Array.of(1), label: Int32Array.of(4), model: 0 },
        { image: Int32Array.of(0, 1), label: Int32Array.of(3, 2), model: 1 },
        { image: Int32Array.of(0), label: Int32Array.of(1), model: 1 },
      ],
      forced: [Int32Array.of(2, 0), Int32Array.of(1, 0)],
    };
    for (const backend of ['ts', 'native'] as const) {
      if (backend === 'native' && !hasNative()) continue;
      const r = poolPairsSync(input, { backend });
      expect(Array.from(r.image)).toEqual([0, 0, 0, 1, 1]);
      expect(Array.from(r.label)).toEqual([1, 2, 3, 0, 4]);
      expect(Array.from(r.votes)).toEqual([1, 0, 2, 0, 2]);
      // (1, 4): both sources of model 0 -> planes 0 and 1; (0, 3): one source each of models 0 and 1.
      expect(hasModel(r.masks[0], 1, 4, 0) && hasModel(r.masks[1], 1, 4, 0)).toBe(true);
      expect(Array.from(r.models)).toEqual([2, 0, 3, 0, 1]);
      expect(Array.from(r.masks[1])).toEqual([0, 0, 0, 0, 1]);
    }
  });

  it('rejects out-of-range input with a clear error (both backends)', () => {
    const bad: PoolInput = {
      n: 2,
      c: 3,
      models: 1,
      sources: [{ image: Int32Array.of(0), label: Int32Array.of(3), model: 0 }],
      forced: [],
    };
    expect(() => poolPairsSync(bad, { backend: 'ts' })).toThrow('source 0 label[0] = 3 is outside [0, 3)');
    expect(() => poolPairsSync({ ...bad, sources: [], forced: [Int32Array.of(0)] })).toThrow('forced row 0 has 1 labels, expected 2');
    expect(() => poolPairsSync({ ...bad, sources: [{ ...bad.sources[0], model: 1 }] })).toThrow('source 0 model = 1');
  });
});
