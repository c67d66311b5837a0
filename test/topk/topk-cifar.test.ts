/**
 * Native and twin on the real CIFAR-10 probability matrix (10,000 x 10,
 * cross-validated softmax outputs), with log(p) as logits.
 */
import { readNpy } from '../../src/io/npy';
import { nativeAddon } from '../../src/native/addon';
import { topkSync, topkFileSync, type Criterion } from '../../src/topk/topk';
import { dataPath, describeData } from '../helpers/data';
import { expectSamePairs, referenceTopK } from './topk-helpers';

const addon = nativeAddon();
const ISAS: number[] = addon ? [1, 2, 3].filter((i) => i <= addon.topkIsa()) : [];
const FILE = dataPath('cifar10', 'cifar10_test_probs.npy');

describeData('topk on the CIFAR-10 probabilities', () => {
  let probs: Float64Array;
  let logits64: Float64Array;
  let logits32: Float32Array;
  const n = 10000;
  const c = 10;

  beforeAll(() => {
    const arr = readNpy(FILE);
    expect(arr.dtype).toBe('f8');
    expect(arr.shape).toEqual([n, c]);
    probs = arr.data as Float64Array;
    logits64 = probs.map((p) => Math.log(p));
    logits32 = Float32Array.from(logits64);
  });

  for (const criterion of ['logit', 'prob'] as Criterion[]) {
    it(`native equals the twin and a brute-force sort (${criterion}, f64 and f32)`, () => {
      for (const data of [logits64, logits32]) {
        for (const k of [1, 137, 10000, 60000, n * c]) {
          const twin = topkSync(data, n, c, k, { criterion, backend: 'ts' });
          if (k === 10000) expectSamePairs(twin, referenceTopK(data, n, c, k, criterion));
          if (!addon) continue;
          expectSamePairs(topkSync(data, n, c, k, { criterion, backend: 'native' }), twin);
          for (const isa of ISAS) expectSamePairs(addon.topkSelect(data, n, c, k, criterion === 'prob' ? 1 : 0, 0, isa), twin);
        }
      }
    });
  }

  it('prob values are the renormalised CIFAR probabilities; logit values are log p', () => {
    const k = 20000;
    const pr = topkSync(logits64, n, c, k, { criterion: 'prob' });
    const lg = topkSync(logits64, n, c, k, { criterion: 'logit' });
    for (let i = 0; i < k; i++) {
      const row = pr.image[i];
      let s = 0;
      for (let j = 0; j < c; j++) s += probs[row * c + j];
      const want = probs[row * c + pr.label[i]] / s;
      expect(Math.abs(pr.value[i] - want)).toBeLessThanOrEqual(want * 2 ** -23);
      expect(lg.value[i]).toBe(Math.fround(logits64[lg.image[i] * c + lg.label[i]]));
    }
    // Within a row, prob and logit order agree: a selected label implies every
    // more likely label of its row is selected too.
    const chosen = new Set<number>();
    for (let i = 0; i < k; i++) chosen.add(pr.image[i] * c + pr.label[i]);
    for (const flat of chosen) {
      const row = Math.floor(flat / c);
      for (let j = 0; j < c; j++) {
        if (logits64[row * c + j] > logits64[flat]) expect(chosen.has(row * c + j)).toBe(true);
      }
    }
  });

  it('topkFile streams the real file in chunks with the same result', () => {
    for (const criterion of ['logit', 'prob'] as Criterion[]) {
      // The file holds probabilities: selecting them as logits is still a valid top-K.
      const want = topkSync(probs, n, c, 5000, { criterion, backend: 'ts' });
      for (const chunkRows of [333, 10000]) {
        const got = topkFileSync(FILE, 5000, { criterion, chunkRows });
        expect([got.n, got.c]).toEqual([n, c]);
        expectSamePairs(got.pairs, want);
        expect(got.timingsMs.read).toBeGreaterThanOrEqual(0);
        expect(got.timingsMs.select).toBeGreaterThan(0);
      }
    }
  });
});
