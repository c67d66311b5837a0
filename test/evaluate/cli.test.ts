import * as fs from 'node:fs';
import * as path from 'node:path';
import { parse } from 'csv-parse/sync';
import { writeNpy } from '../../src/io/npy';
import { describeData, dataPath } from '../helpers/data';
import { tmpDir } from '../helpers/tmp';
import { runCli } from './run-cli';

const REAL = dataPath('reassessed-imagenet', 'real.json');
const ORIG = dataPath('imagenet-val', 'imagenet_val_original_labels.npy');
const CLEANLAB = dataPath('imagenet-val', 'imagenet_val_cleanlab_top1.npy');
const SYNSETS = dataPath('imagenet-classes', 'synset.txt');

describeData('realabel evaluate (CLI)', () => {
  const dir = tmpDir();

  it('prints the published metrics as JSON, one row per model under models', () => {
    const one = runCli(['evaluate', '--labels', REAL, '--predictions', CLEANLAB, '--original', ORIG, '--json']);
    expect(one.code).toBe(0);
    const oneJson = JSON.parse(one.stdout);
    // One shape whatever the model count: the rows under models.
    expect(oneJson.models).toHaveLength(1);
    expect([oneJson.n_scored, oneJson.n_skipped, oneJson.num_classes]).toEqual([oneJson.models[0].n_scored, oneJson.models[0].n_skipped, 1000]);
    const j = oneJson.models[0];
    for (const k of ['real_top1', 'real_top5', 'original_top1', 'original_top5', 'real_strict', 'n_scored', 'n_skipped']) expect(j).toHaveProperty(k);
    expect(j.real_top1).toBeCloseTo(0.776139, 6);
    expect(j.original_top1).toBeCloseTo(0.72732, 6);

    const csv = path.join(dir, 'per_class.csv');
    const two = runCli(['evaluate', '--labels', REAL, '--predictions', CLEANLAB, ORIG, '--original', ORIG, '--json', '--per-class', csv, '--synsets', SYNSETS]);
    expect(two.code).toBe(0);
    const models = JSON.parse(two.stdout).models;
    expect(models.map((m: { model: string }) => m.model)).toEqual(['imagenet_val_cleanlab_top1', 'imagenet_val_original_labels']);
    expect(models[1].real_top1).toBeCloseTo(0.900228, 6);
    expect(models[1].original_top1).toBe(1);
    const lines = fs.readFileSync(csv, 'utf8').trim().split('\n');
    expect(lines[0]).toBe('model,class,wnid,name,n_original,original_top1,original_top5,n_real,real_top1,real_top5');
    expect(lines).toHaveLength(1 + 2 * 1000);
    expect(lines[1]).toMatch(/^imagenet_val_cleanlab_top1,0,n01440764,"tench, Tinca tinca",50,/);
    const rows: Record<string, string>[] = parse(fs.readFileSync(csv, 'utf8'), { columns: true });
    // The original labels, scored as predictions, are right on every image of their own class.
    const origRows = rows.filter((r) => r.model === 'imagenet_val_original_labels');
    expect(origRows.every((r) => r.original_top1 === '1' && r.n_original === '50')).toBe(true);
    expect(origRows.find((r) => r.name === 'desktop computer')).toBeDefined();
    // Per-class ReaL counts add up to the number of labels in real.json (57,553).
    expect(origRows.reduce((s, r) => s + Number(r.n_real), 0)).toBe(57553);
  });

  it('prints a table without --json', () => {
    const r = runCli(['evaluate', '--labels', REAL, '--predictions', CLEANLAB]);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/imagenet_val_cleanlab_top1\s+77\.61%/);
  });

  function expectUserError(args: string[], pattern: RegExp, leftBehind: string) {
    const r = runCli(args);
    expect(r.code).toBe(1);
    expect(r.stdout).toBe('');
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toMatch(pattern);
    expect(fs.existsSync(leftBehind)).toBe(false);
  }

  it('rejects predictions of the wrong length, naming the file', () => {
    const short = path.join(dir, 'short.npy');
    writeNpy(short, { dtype: 'i4', shape: [49999], data: new Int32Array(49999) });
    const out = path.join(dir, 'x1.csv');
    expectUserError(['evaluate', '--labels', REAL, '--predictions', CLEANLAB, short, '--per-class', out], /short\.npy: has 49999 predictions but .*real\.json has 50000 images/, out);
  });

  it('rejects a label file with an index >= C, naming the file', () => {
    const bad = path.join(dir, 'bad-index.json');
    fs.writeFileSync(bad, JSON.stringify([[1], [1000], []]));
    const preds = path.join(dir, 'three.npy');
    writeNpy(preds, { dtype: 'f4', shape: [3, 1000], data: new Float32Array(3000) });
    const out = path.join(dir, 'x2.csv');
    expectUserError(['evaluate', '--labels', bad, '--predictions', preds, '--per-class', out], /bad-index\.json: entry 1 has label 1000, out of range \[0, 1000\)/, out);
  });

  it('rejects a label file that is not JSON, naming the file', () => {
    const bad = path.join(dir, 'not.json');
    fs.writeFileSync(bad, '[[1], [2');
    const out = path.join(dir, 'x3.csv');
    expectUserError(['evaluate', '--labels', bad, '--predictions', CLEANLAB, '--per-class', out], /not\.json: not valid JSON/, out);
  });

  it('rejects NaN scores naming the file and row', () => {
    const nan = path.join(dir, 'nan.npy');
    const data = new Float32Array(3 * 10);
    data[25] = NaN;
    writeNpy(nan, { dtype: 'f4', shape: [3, 10], data });
    const labels = path.join(dir, 'three.json');
    fs.writeFileSync(labels, '[[1], [], [2, 3]]');
    expectUserError(['evaluate', '--labels', labels, '--predictions', nan, '--json'], /nan\.npy: row 2 contains NaN/, path.join(dir, 'none'));
  });
});
