import * as fs from 'node:fs';
import * as path from 'node:path';
import { evaluateFiles } from '../../src/evaluate/files';
import { readLabelSets, writeLabelSets } from '../../src/io/labels';
import { readNpy, writeNpy, npyHeader } from '../../src/io/npy';
import { describeData, dataPath } from '../helpers/data';
import { tmpDir } from '../helpers/tmp';

const REAL = dataPath('reassessed-imagenet', 'real.json');
const ORIG = dataPath('imagenet-val', 'imagenet_val_original_labels.npy');
const CLEANLAB = dataPath('imagenet-val', 'imagenet_val_cleanlab_top1.npy');

/** float16 bits of a small non-negative integer (exact). */
function half(v: number): number {
  if (v === 0) return 0;
  const e = Math.floor(Math.log2(v));
  return ((e + 15) << 10) | Math.round((v / 2 ** e - 1) * 1024);
}

describeData('evaluate on the published files', () => {
  const dir = tmpDir();
  it('reproduces the published ReaL and original accuracy of the cleanlab model', async () => {
    const r = await evaluateFiles({ labels: REAL, predictions: [CLEANLAB], original: ORIG });
    const m = r.models[0];
    expect(m.counts.realTop1).toBe(36352);
    expect(m.nScored).toBe(46837);
    expect(m.nSkipped).toBe(50000 - 46837);
    expect(m.realTop1!.toFixed(6)).toBe('0.776139');
    expect(m.originalTop1!.toFixed(6)).toBe('0.727320');
    expect(m.realTop5).toBeNull();
  });

  it('scores the original labels themselves at 0.900228', async () => {
    const r = await evaluateFiles({ labels: REAL, predictions: [ORIG] });
    expect(r.models[0].realTop1!.toFixed(6)).toBe('0.900228');
  });

  it('gives the same top-1 from a score matrix as from the top-1 file, in f2, f4 and f8', async () => {
    const n = 3000, c = 1000;
    const sets = readLabelSets(REAL).slice(0, n);
    const orig = readNpy(ORIG).data as Int16Array;
    const pred = readNpy(CLEANLAB).data as Int16Array;
    const labels = path.join(dir, 'real-head.json');
    writeLabelSets(labels, sets);
    writeNpy(path.join(dir, 'top1.npy'), { dtype: 'i2', shape: [n], data: pred.slice(0, n) });
    writeNpy(path.join(dir, 'orig.npy'), { dtype: 'i2', shape: [n], data: orig.slice(0, n) });
    // Prediction scores 3, original label 2 (when different), the rest 0 or 1 by parity: the original is always in the top 2.
    const scores = new Float64Array(n * c);
    for (let i = 0; i < n; i++) {
      for (let j = 0; j < c; j++) scores[i * c + j] = j % 2;
      scores[i * c + orig[i]] = 2;
      scores[i * c + pred[i]] = 3;
    }
    writeNpy(path.join(dir, 'f8.npy'), { dtype: 'f8', shape: [n, c], data: scores });
    writeNpy(path.join(dir, 'f4.npy'), { dtype: 'f4', shape: [n, c], data: Float32Array.from(scores) });
    const f2 = Uint16Array.from(scores, half);
    fs.writeFileSync(path.join(dir, 'f2.npy'), Buffer.concat([npyHeader('f2', [n, c]), new Uint8Array(f2.buffer)]));

    const files = ['top1', 'f2', 'f4', 'f8'].map((f) => path.join(dir, `${f}.npy`));
    const r = await evaluateFiles({ labels, predictions: files, original: path.join(dir, 'orig.npy'), threads: 2 });
    expect(r.models.map((m) => m.name)).toEqual(['top1', 'f2', 'f4', 'f8']);
    const [top1, ...scored] = r.models;
    for (const m of scored) {
      expect(m.kind).toBe('scores');
      expect(m.counts.realTop1).toBe(top1.counts.realTop1);
      expect(m.counts.originalTop1).toBe(top1.counts.originalTop1);
      expect(m.originalTop5).toBe(1);
      expect(Array.from(m.top1)).toEqual(Array.from(top1.top1));
      expect(m.counts).toEqual(scored[0].counts);
    }
    // Chunks read ahead into two alternating buffers give the same answer at any chunk size.
    for (const chunkRows of [1, 7, 1000]) {
      const again = await evaluateFiles({ labels, predictions: [files[2]], original: path.join(dir, 'orig.npy'), chunkRows });
      expect(again.models[0].counts).toEqual(scored[1].counts);
      expect(Array.from(again.models[0].top1)).toEqual(Array.from(scored[1].top1));
    }
    // Top-5 here: prediction, original, then the odd classes 1, 3, 5.
    const naive5 = sets.filter((s, i) => s.length > 0 && [pred[i], orig[i], 1, 3, 5, 7].filter((x, k, a) => a.indexOf(x) === k).slice(0, 5).some((x) => s.includes(x))).length;
    expect(scored[0].counts.realTop5).toBe(naive5);
  });

  it('stops cleanly at a NaN in an early chunk while the next one is being read', async () => {
    const n = 40, c = 10;
    const scores = new Float32Array(n * c);
    scores[5 * c + 3] = NaN;
    const file = path.join(dir, 'nan-early.npy');
    writeNpy(file, { dtype: 'f4', shape: [n, c], data: scores });
    const labels = path.join(dir, 'forty.json');
    fs.writeFileSync(labels, JSON.stringify(Array.from({ length: n }, (_, i) => [i % c])));
    await expect(evaluateFiles({ labels, predictions: [file], chunkRows: 4 })).rejects.toThrow('nan-early.npy: row 5 contains NaN');
  });
});
