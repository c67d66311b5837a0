/**
 * `--json` on every command, in a real child process: exit 0, and stdout is
 * exactly one JSON document (no progress bar or log line mixed in) whose
 * numbers agree with the inputs. Inputs come from a small demo run (the
 * simulator, proposals, simulated raters and label sets), plus a tiny ONNX
 * classifier for `logits`.
 */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { demo, type DemoResult } from '../../src/demo/demo';
import { tmpDir } from '../helpers/tmp';
import { writeKinds } from '../logits/fixtures';
import { buildClassifier } from '../logits/onnx-model';

const BIN = path.resolve(__dirname, '..', '..', 'bin', 'realabel.js');
const dir = tmpDir('realabel-json-');
const out = (name: string) => path.join(dir, name);
const N = 600;
const C = 20;
let d: DemoResult;
let models: string[];

beforeAll(async () => {
  d = await demo({ out: out('demo'), images: N, classes: C, models: 3, seed: 5 });
  models = [0, 1, 2].map((m) => path.join(d.out, 'simulate', `model_0${m}.npy`));
});

function json(args: string[]): Record<string, unknown> & { [k: string]: any } {
  const r = spawnSync(process.execPath, [BIN, ...args, '--json'], { encoding: 'utf8', env: { ...process.env, REALABEL_DEBUG: '' } });
  if (r.status !== 0) throw new Error(`realabel ${args[0]} exited ${r.status}: ${r.stderr}`);
  return JSON.parse(r.stdout);
}

test('topk', () => {
  const j = json(['topk', models[0], '--k', '50', '--out', out('pairs.npz')]);
  expect([j.k, j.n, j.c]).toEqual([50, N, C]);
});

test('propose', () => {
  const j = json(['propose', '--logits', ...models, '--original', d.files.original, '--k', String(1.5 * N), '--out', out('proposals.npz')]);
  expect(j.images).toBe(N);
  expect(j.models).toBe(3);
  expect(j.P).toBe(d.propose.P); // the demo's k is 1.5 N
});

test('select-models', () => {
  const j = json(['select-models', '--proposals', d.files.proposals, '--gold', d.files.golden, '--pareto', out('pareto.csv')]);
  expect(j.gold.images).toBe(d.gold.images);
  expect(j.subsets_evaluated).toBe(7);
});

test('tasks', () => {
  const j = json(['tasks', '--proposals', d.files.proposals_selected, '--synsets', d.files.synsets, '--out', out('tasks.jsonl')]);
  expect(j.tasks).toBe(d.tasks.tasks);
  expect(j.rated_pairs).toBe(d.tasks.rated_pairs);
});

test('aggregate', () => {
  const j = json(['aggregate', '--answers', d.files.raters, '--method', 'ds', '--original', d.files.original, '--out', out('scores.npz')]);
  expect(j.answers).toBe(d.raters.answers);
  expect(j.labels.labels).toBe(d.aggregate.ds.labels);
});

test('reproduce-real (the demo folder has the release layout)', () => {
  fs.mkdirSync(out('real'), { recursive: true });
  const j = json(['reproduce-real', '--data', d.out, '--original', d.files.original, '--out', out('real')]);
  expect(j.questions).toBe(d.tasks.rated_pairs);
  expect(j.gold_questions).toBe(d.gold.questions);
});

test('evaluate', () => {
  const j = json(['evaluate', '--labels', d.files.real_gold, '--predictions', ...models, '--original', d.files.original]);
  expect(j.models.map((m: { real_top1: number }) => m.real_top1)).toEqual(d.models_table.map((m) => m.real_top1));
});

test('analyze', () => {
  const j = json(['analyze', '--labels', d.files.real_gold, '--original', d.files.original, '--predictions', models[0], '--synsets', d.files.synsets, '--out', out('report')]);
  expect(fs.existsSync(j.report)).toBe(true);
});

test('clean', () => {
  const j = json(['clean', '--labels', d.files.original, '--predictions', models[2], '--out', out('keep.txt')]);
  expect(j.n).toBe(N);
  expect(j.kept + j.dropped).toBe(N);
});

test('export', () => {
  const j = json(['export', '--labels', d.files.real_gold, '--format', 'multihot', '--classes', String(C), '--out', out('multihot.npy')]);
  expect([j.n, j.labels]).toEqual([N, d.aggregate.gold.labels]);
});

test('logits', async () => {
  const images = out('images');
  const files = await writeKinds(images);
  const model = buildClassifier({ inputSize: 32, classes: 5, filters: 2, stride: 2, seed: 1 }).save(out('m.onnx'));
  const j = json(['logits', '--model', model, '--images', images, '--out', out('logits.npy'), '--input-size', '32', '--resize', '40', '--workers', '1']);
  expect([j.images, j.classes]).toEqual([files.length, 5]);
});

test('simulate', () => {
  const j = json(['simulate', '--images', '100', '--classes', '10', '--models', '2', '--original-fit', '0,0.5', '--out', out('sim')]);
  expect([j.n, j.c, j.models]).toEqual([100, 10, 2]);
  expect(j.per_model.map((m: { original_fit: number }) => m.original_fit)).toEqual([0, 0.5]);
});

test('demo', () => {
  const j = json(['demo', '--out', out('demo2'), '--images', String(N), '--classes', String(C), '--models', '3', '--seed', '5']);
  const strip = (x: object) => JSON.parse(JSON.stringify({ ...x, out: '', report: '', files: {}, timings_ms: {} }));
  expect(strip(j)).toEqual(strip(d));
});
