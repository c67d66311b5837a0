import * as fs from 'node:fs';
import { analyzeFiles } from '../../src/analyze/files';
import { readNpy } from '../../src/io/npy';
import { describeData, dataPath } from '../helpers/data';

const REAL = dataPath('reassessed-imagenet', 'real.json');
const ORIG = dataPath('imagenet-val', 'imagenet_val_original_labels.npy');
const CLEANLAB = dataPath('imagenet-val', 'imagenet_val_cleanlab_top1.npy');
const SYNSETS = dataPath('imagenet-classes', 'synset.txt');

describeData('analyze on the published ReaL labels', () => {
  let r: Awaited<ReturnType<typeof analyzeFiles>>;
  let sets: number[][];
  let original: Int16Array;
  const cls = (name: string) => r.classes.find((c) => c.name === name)!.index;

  beforeAll(async () => {
    r = await analyzeFiles({ labels: REAL, original: ORIG, predictions: [CLEANLAB], synsets: SYNSETS });
    sets = JSON.parse(fs.readFileSync(REAL, 'utf8'));
    original = readNpy(ORIG).data as Int16Array;
  });

  it('reproduces Table 1: desktop computer co-occurs with monitor (87%) and keyboard (78%)', () => {
    const desktop = cls('desktop computer');
    const row = r.oracle.below.find((b) => b.class === desktop)!;
    expect(row).toBeDefined();
    const [first, second] = row.cooccurring;
    expect(r.classes[first.class].name).toBe('monitor');
    expect(r.classes[second.class].name).toBe('computer keyboard');
    expect(Math.round(100 * first.share)).toBe(87);
    expect(Math.round(100 * second.share)).toBe(78);
    // Independently: images labelled desktop computer whose ReaL set confirms it.
    const confirmed = sets.filter((s, i) => original[i] === desktop && s.includes(desktop));
    expect(row.base).toBe(confirmed.length);
    expect(first.count).toBe(confirmed.filter((s) => s.includes(cls('monitor'))).length);
    expect(row.accuracy).toBeLessThan(0.9);
  });

  it('measures label multiplicity exactly as the file has it', () => {
    const multi = sets.filter((s) => s.length >= 2).length;
    expect(r.multiplicity.n_multi).toBe(multi);
    // The published real.json: 7,443 of 50,000 images (14.886%) have two or more labels.
    expect(multi).toBe(7443);
    expect(r.multiplicity.share_multi).toBe(7443 / 50000);
    expect(r.multiplicity.share_multi_of_labelled).toBe(7443 / 46837);
    expect(r.multiplicity.size_counts.reduce((a, b) => a + b, 0)).toBe(50000);
  });

  it('puts sunglass/sunglasses, laptop/notebook and desktop computer/monitor among the top pairs', () => {
    const top = r.multiplicity.top_pairs.slice(0, 10).map((p) => `${r.classes[p.a].name} + ${r.classes[p.b].name}`);
    expect(top.slice(0, 2)).toEqual(['desktop computer + monitor', 'sunglass + sunglasses']);
    expect(top).toContain('laptop + notebook');
    const both = (a: number, b: number) => sets.filter((s) => s.includes(a) && s.includes(b)).length;
    expect(r.multiplicity.top_pairs[0].count).toBe(both(cls('desktop computer'), cls('monitor')));
  });

  it('scores the oracle and the model per class consistently', () => {
    const m = r.per_class.models[0];
    // Images with a ReaL set, by original class, sum to n_scored.
    expect(r.per_class.oracle_n.reduce((a, b) => a + b, 0)).toBe(r.n_scored);
    expect(r.per_class.n_original.every((n) => n === 50)).toBe(true);
    // Recount "beats the oracle" from the raw files.
    const pred = readNpy(CLEANLAB).data as Int16Array;
    let beats = 0;
    for (let c = 0; c < 1000; c++) {
      let n = 0, hit = 0, oracle = 0;
      sets.forEach((s, i) => {
        if (original[i] !== c || s.length === 0) return;
        n++;
        if (pred[i] === c) hit++;
        if (s.includes(c)) oracle += 1 / s.length;
      });
      if (n > 0 && hit / n > oracle / n) beats++;
      expect(m.original_labelled[c]).toBeCloseTo(hit / n, 12);
      expect(r.per_class.oracle[c]).toBeCloseTo(oracle / n, 12);
    }
    expect(r.models[0].classes_beating_oracle).toBe(beats);
  });
});
