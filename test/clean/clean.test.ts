import * as fs from 'node:fs';
import * as path from 'node:path';
import { clean } from '../../src/clean/clean';
import { cleanFiles } from '../../src/clean/files';
import { readNpy, writeNpy } from '../../src/io/npy';
import { describeData, dataPath } from '../helpers/data';
import { tmpDir } from '../helpers/tmp';
import { runCli } from '../evaluate/run-cli';

const LABELS = dataPath('cifar10', 'cifar10_test_labels.npy');
const PROBS = dataPath('cifar10', 'cifar10_test_probs.npy');

/** The expected result, computed directly from the definition. */
function expected(labels: ArrayLike<number>, scores: ArrayLike<number>, c: number, minProb: number | null, logits = false) {
  const keep: number[] = [];
  const dropped = new Array(c).fill(0);
  for (let i = 0; i < labels.length; i++) {
    const row = Array.from({ length: c }, (_, j) => scores[i * c + j]);
    let arg = 0;
    for (let j = 1; j < c; j++) if (row[j] > row[arg]) arg = j;
    let p = row[labels[i]];
    if (logits) {
      const m = Math.max(...row);
      p = Math.exp(row[labels[i]] - m) / row.reduce((s, x) => s + Math.exp(x - m), 0);
    }
    if (arg === labels[i] && (minProb === null || p >= minProb)) keep.push(i);
    else dropped[labels[i]]++;
  }
  return { keep, dropped };
}

describeData('clean on the real CIFAR-10 cross-validated probabilities', () => {
  const dir = tmpDir();
  const labels = readNpy(LABELS).data as Uint16Array;
  const probs = readNpy(PROBS).data as Float64Array;

  it('keeps the images whose label is the argmax, and reports drops per class', async () => {
    const want = expected(labels, probs, 10, null);
    const r = await cleanFiles({ labels: LABELS, predictions: PROBS });
    expect(r.kept).toBe(want.keep.length);
    expect(Array.from(r.keep)).toEqual(want.keep);
    expect(r.perClass.map((p) => p.dropped)).toEqual(want.dropped);
    expect(r.scores).toBe('argmax');
    expect(r.n).toBe(10000);
  });

  it('with --min-prob also drops agreeing images whose label probability is low', async () => {
    const want = expected(labels, probs, 10, 0.9);
    const r = await cleanFiles({ labels: LABELS, predictions: PROBS, minProb: 0.9 });
    expect(r.scores).toBe('probabilities');
    expect(Array.from(r.keep)).toEqual(want.keep);
    expect(r.perClass.map((p) => p.dropped)).toEqual(want.dropped);
    expect(r.droppedLowProb).toBe(r.dropped - (await cleanFiles({ labels: LABELS, predictions: PROBS })).dropped);
  });

  it('reads logits (softmax) and gives the same answer from both backends', async () => {
    const logits = Float32Array.from(probs, (p) => Math.log(p) + 3);
    const file = path.join(dir, 'logits.npy');
    writeNpy(file, { dtype: 'f4', shape: [10000, 10], data: logits });
    const want = expected(labels, logits, 10, 0.75, true);
    const r = await cleanFiles({ labels: LABELS, predictions: file, minProb: 0.75 });
    expect(r.scores).toBe('logits');
    expect(Array.from(r.keep)).toEqual(want.keep);
    const ts = clean({ labels, predictions: { scores: logits, numClasses: 10 }, minProb: 0.75, backend: 'ts' });
    expect(Array.from(ts.keep)).toEqual(want.keep);
    await expect(cleanFiles({ labels: LABELS, predictions: file, minProb: 0.75, scores: 'probabilities' })).rejects.toThrow(/logits\.npy: row 0 is not a probability distribution/);
  });

  it('writes keep.txt and keep.npy from the CLI', () => {
    const want = expected(labels, probs, 10, 0.5);
    const txt = path.join(dir, 'keep.txt');
    const npy = path.join(dir, 'keep.npy');
    const a = runCli(['clean', '--labels', LABELS, '--predictions', PROBS, '--min-prob', '0.5', '--out', txt]);
    expect(a.code).toBe(0);
    expect(fs.readFileSync(txt, 'utf8').trim().split('\n').map(Number)).toEqual(want.keep);
    const b = runCli(['clean', '--labels', LABELS, '--predictions', PROBS, '--min-prob', '0.5', '--out', npy, '--json']);
    expect(b.code).toBe(0);
    const j = JSON.parse(b.stdout);
    expect(j.kept).toBe(want.keep.length);
    expect(j.per_class.map((p: { dropped: number }) => p.dropped)).toEqual(want.dropped);
    const arr = readNpy(npy);
    expect(arr.dtype).toBe('i8');
    expect(Array.from(arr.data as BigInt64Array, Number)).toEqual(want.keep);
  });

  it('rejects bad input with one line naming the file, leaving no output', () => {
    const short = path.join(dir, 'short-labels.npy');
    writeNpy(short, { dtype: 'u2', shape: [9999], data: labels.slice(0, 9999) });
    const out = path.join(dir, 'never.txt');
    let r = runCli(['clean', '--labels', short, '--predictions', PROBS, '--out', out]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/cifar10_test_probs\.npy: has 10000 predictions but .*short-labels\.npy has 9999 labels/);
    const big = path.join(dir, 'big-labels.npy');
    const bad = labels.slice();
    bad[17] = 10;
    writeNpy(big, { dtype: 'u2', shape: [10000], data: bad });
    r = runCli(['clean', '--labels', big, '--predictions', PROBS, '--out', out]);
    expect(r.code).toBe(1);
    expect(r.stderr.trim()).toMatch(/big-labels\.npy: label 10 at image 17 is not a class index in \[0, 10\)$/);
    r = runCli(['clean', '--labels', LABELS, '--predictions', LABELS, '--min-prob', '0.5', '--out', out]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/--min-prob needs probabilities or logits/);
    r = runCli(['clean', '--labels', LABELS, '--predictions', PROBS, '--out', path.join(dir, 'keep.csv')]);
    expect(r.code).toBe(1);
    expect(fs.existsSync(out)).toBe(false);
  });
});

describe('clean (in memory)', () => {
  it('uses top-1 predictions as given', () => {
    const r = clean({ labels: [0, 1, 2, 2], predictions: Int32Array.from([0, 2, 2, 1]) });
    expect(Array.from(r.keep)).toEqual([0, 2]);
    expect(r.perClass.map((p) => p.dropped)).toEqual([0, 1, 1]);
    expect(r.scores).toBe('top1');
  });

  it('breaks argmax ties toward the lower class', () => {
    const scores = new Float32Array([0.5, 0.5, 0, 0, 0.5, 0.5]);
    const r = clean({ labels: [1, 1], predictions: { scores, numClasses: 3 } });
    expect(Array.from(r.keep)).toEqual([1]);
  });
});
