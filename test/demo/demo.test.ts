/**
 * The demo end to end at a small size: every file it names exists and parses,
 * the summary agrees with the files, the new labels are closer to the
 * simulated truth than the original labels, and the run is reproducible.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { demo, type DemoResult } from '../../src/demo/demo';
import { labelChanges, recovery } from '../../src/demo/compare';
import { evaluateSync } from '../../src/evaluate/evaluate';
import { toInt32 } from '../../src/io/convert';
import { readLabelSets } from '../../src/io/labels';
import { readNpy } from '../../src/io/npy';
import { readNpz } from '../../src/io/npz';
import { readSynsets } from '../../src/io/synsets';
import { tmpDir } from '../helpers/tmp';

const dir = tmpDir('realabel-demo-');
const SIZE = { images: 2000, classes: 30, models: 5, seed: 7 };
let r: DemoResult;

beforeAll(async () => {
  r = await demo({ ...SIZE, out: path.join(dir, 'a', 'b') }); // parents created like mkdir -p
});

function ones(t: Float64Array): number {
  let n = 0;
  for (const v of t) n += v;
  return n;
}

test('every file the summary names exists and parses', () => {
  for (const [name, file] of Object.entries(r.files)) {
    expect(fs.existsSync(file)).toBe(true);
    if (file.endsWith('.npz')) expect(Object.keys(readNpz(file)).length).toBeGreaterThan(0);
    else if (file.endsWith('.json')) expect(() => JSON.parse(fs.readFileSync(file, 'utf8'))).not.toThrow();
    else if (file.endsWith('.jsonl')) for (const l of fs.readFileSync(file, 'utf8').trim().split('\n')) JSON.parse(l);
    else if (file.endsWith('.csv')) expect(fs.readFileSync(file, 'utf8').split('\n')[0]).toMatch(/,/);
    else if (file.endsWith('.html')) expect(fs.readFileSync(file, 'utf8')).toMatch(/<html[\s>]/i);
    else if (name === 'synsets') expect(readSynsets(file, { expected: SIZE.classes })).toHaveLength(SIZE.classes);
    else if (file.endsWith('.npy')) expect(readNpy(file).shape[0]).toBe(SIZE.images);
  }
  for (let m = 0; m < SIZE.models; m++) expect(readNpy(path.join(r.out, 'simulate', `model_0${m}.npy`)).shape).toEqual([SIZE.images, SIZE.classes]);
  expect(JSON.parse(fs.readFileSync(r.files.summary, 'utf8'))).toEqual(JSON.parse(JSON.stringify(r)));
  // Nothing half-written is left behind.
  const leftovers = (d: string): string[] => fs.readdirSync(d, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? leftovers(path.join(d, e.name)) : /\.tmp/.test(e.name) ? [e.name] : []);
  expect(leftovers(r.out)).toEqual([]);
});

test('the new labels recover the simulated truth better than the original labels', () => {
  const truth = readLabelSets(r.files.truth);
  const original = toInt32(readNpy(r.files.original));
  const asSets = Array.from(original, (l) => [l]);
  const orig = recovery(asSets, truth);
  for (const method of ['gold', 'ds'] as const) {
    const sets = readLabelSets(r.files[`real_${method}`]);
    const rec = recovery(sets, truth);
    expect(rec).toEqual(r.aggregate[method].vs_truth);
    expect(rec.exact_sets).toBeGreaterThan(orig.exact_sets + 0.03);
    expect(rec.precision).toBeGreaterThan(orig.precision);
    expect(rec.recall).toBeGreaterThan(orig.recall);
    // Most images with a wrong original label get it replaced, and replacements are mostly right.
    const c = labelChanges(sets, original, truth);
    expect(c).toEqual(r.aggregate[method].changes);
    expect(c.fixed_truly_wrong).toBeGreaterThan(0.6 * c.truly_wrong);
    expect(c.fixed_truly_wrong).toBeGreaterThan(0.7 * c.fixed);
    expect(c.added).toBeGreaterThan(0);
  }
  expect(orig).toEqual(r.original_vs_truth);
  // Wrong originals = images neither exactly right (one true label) nor one of several true labels.
  expect(r.simulate.original_error_rate).toBeCloseTo(1 - orig.exact_sets - multiRight(truth, original), 12);
});

/** Share of images with several true labels whose original label is one of them. */
function multiRight(truth: number[][], original: Int32Array): number {
  return truth.filter((t, i) => t.length > 1 && t.includes(original[i])).length / truth.length;
}

test('the summary agrees with the stage files', () => {
  const gold = readNpz(r.files.golden);
  expect(gold.info.shape).toEqual([r.gold.questions, 2]);
  expect(gold.tensor.shape[0]).toBe(5);
  const raters = readNpz(r.files.raters);
  expect(raters.tensor.shape[0]).toBe(r.raters.raters);
  expect(ones(raters.tensor.data as Float64Array)).toBe(r.raters.answers);
  expect(raters.info.shape[0]).toBe(r.tasks.rated_pairs);
  expect(r.raters.answers).toBe(5 * r.tasks.rated_pairs);
  const ratersGold = readNpz(r.files.raters_golden);
  expect(ratersGold.tensor.shape).toEqual([r.raters.gold_raters, r.gold.questions, 3]);
  expect(fs.readFileSync(r.files.tasks, 'utf8').trim().split('\n')).toHaveLength(r.tasks.tasks);
  const select = JSON.parse(fs.readFileSync(r.files.select, 'utf8'));
  expect((select.best ?? select.all_models).models).toEqual(r.select.models);
  expect(readNpz(r.files.proposals_selected).model_names.data).toEqual(r.select.models);
  expect(r.tasks.rated_images + r.tasks.unrated_images).toBe(SIZE.images);
  const sets = readLabelSets(r.files.real_gold);
  expect(sets.reduce((s, l) => s + l.length, 0)).toBe(r.aggregate.gold.labels);
  // Each model's accuracies, recomputed from its logits and the label files.
  const original = toInt32(readNpy(r.files.original));
  const truth = readLabelSets(r.files.truth);
  r.models_table.forEach((row, m) => {
    const scores = readNpy(path.join(r.out, 'simulate', `${row.model}.npy`)).data as Float32Array;
    const input = [{ scores, numClasses: SIZE.classes }];
    const ev = evaluateSync({ labels: sets, predictions: input, original }).models[0];
    expect(row.real_top1).toBe(ev.realTop1);
    expect(row.original_top1).toBe(ev.originalTop1);
    expect(row.true_top1).toBe(evaluateSync({ labels: truth, predictions: input }).models[0].realTop1);
    expect(row.model).toBe(`model_0${m}`);
  });
  // ReaL accuracy orders the models at least as the truth does as often as original accuracy.
  expect(r.reordering.agree_with_truth_real).toBeGreaterThanOrEqual(r.reordering.agree_with_truth_original);
  expect(fs.readFileSync(r.report, 'utf8')).toContain('model_04');
});

test('the same seed gives the same files, whatever the workers and threads', async () => {
  const b = await demo({ ...SIZE, out: path.join(dir, 'b'), workers: 1, threads: 1 });
  const strip = (x: DemoResult) => JSON.parse(JSON.stringify({ ...x, out: '', report: '', files: {}, timings_ms: {} }));
  expect(strip(b)).toEqual(strip(r));
  for (const key of ['proposals', 'golden', 'raters', 'raters_golden', 'scores_gold', 'real_gold', 'real_ds', 'tasks']) {
    expect(fs.readFileSync(b.files[key]).equals(fs.readFileSync(r.files[key]))).toBe(true);
  }
});

test('bad sizes are user errors naming the option', async () => {
  await expect(demo({ out: path.join(dir, 'c'), images: 10 })).rejects.toThrow(/`images` must be an integer in \[100/);
  await expect(demo({ out: path.join(dir, 'c'), models: 30 })).rejects.toThrow(/`models`/);
  fs.writeFileSync(path.join(dir, 'file'), 'x');
  await expect(demo({ out: path.join(dir, 'file'), images: 100 })).rejects.toMatchObject({ name: 'UsageError', message: expect.stringMatching(/file: `out` is a file/) });
});
