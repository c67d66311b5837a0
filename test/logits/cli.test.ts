import { spawn, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { tmpDir } from '../helpers/tmp';
import { readF4, writeCorrupt, writeMany } from './fixtures';
import { buildClassifier } from './onnx-model';

const BIN = path.resolve(__dirname, '..', '..', 'bin', 'realabel.js');
const dir = tmpDir('realabel-logits-cli-');
const images = path.join(dir, 'many');
const COUNT = 120;
let model: string;

beforeAll(async () => {
  await writeMany(images, COUNT, 300);
  model = buildClassifier({ inputSize: 64, classes: 7, filters: 4, stride: 2, seed: 3 }).save(path.join(dir, 'm.onnx'));
});

const args = (out: string, ...extra: string[]) => [
  BIN, 'logits', '--model', model, '--images', images, '--out', path.join(dir, out),
  '--input-size', '64', '--resize', '80', '--batch', '2', '--workers', '1', ...extra,
];

function cli(argv: string[]) {
  return spawnSync(process.execPath, argv, { encoding: 'utf8', env: { ...process.env, ORT_DISABLE_TELEMETRY: '1' } });
}

function rowsDone(stateFile: string): number {
  try {
    return JSON.parse(fs.readFileSync(stateFile, 'utf8')).rowsDone;
  } catch {
    return 0;
  }
}

test('Ctrl-C mid-run leaves no output; --resume then gives the same bytes as a clean run', async () => {
  const out = path.join(dir, 'interrupted.npy');
  const child = spawn(process.execPath, args('interrupted.npy'), { env: { ...process.env, ORT_DISABLE_TELEMETRY: '1' } });
  let stderr = '';
  child.stderr.on('data', (d) => (stderr += d));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  // Interrupt once a few chunks are durable.
  for (let i = 0; i < 4000 && rowsDone(`${out}.partial.json`) < 6; i++) await new Promise((r) => setTimeout(r, 5));
  child.kill('SIGINT');
  const code = await exited;
  expect(code).toBe(130);
  expect(stderr).toMatch(/interrupted; partial output kept, rerun with --resume/);
  expect(fs.existsSync(out)).toBe(false);
  const done = rowsDone(`${out}.partial.json`);
  expect(done).toBeGreaterThanOrEqual(6);
  expect(done).toBeLessThan(COUNT);

  const resumed = cli([...args('interrupted.npy'), '--resume', '--json']);
  expect(resumed.stderr).toBe('');
  expect(resumed.status).toBe(0);
  const summary = JSON.parse(resumed.stdout);
  expect(summary.resumed_from).toBe(done); // --json keys are snake_case
  expect(summary.images).toBe(COUNT);

  const clean = cli(args('clean.npy'));
  expect(clean.status).toBe(0);
  expect(clean.stdout).toMatch(/wrote .*clean\.npy: float32 \[120, 7\]/);
  expect(fs.readFileSync(out).equals(fs.readFileSync(path.join(dir, 'clean.npy')))).toBe(true);
  expect(readF4(out).shape).toEqual([COUNT, 7]);
  expect(fs.existsSync(`${out}.partial`)).toBe(false);
  expect(fs.existsSync(`${out}.partial.json`)).toBe(false);
});

test('an unreadable image: exit 1 with one line naming it; --skip-bad carries on', async () => {
  const bad = path.join(dir, 'bad');
  await writeMany(bad, 3, 100);
  await writeCorrupt(path.join(bad, 'img_001.jpg'));
  const base = ['--model', model, '--images', bad, '--input-size', '64', '--resize', '80'];
  const r = cli([BIN, 'logits', ...base, '--out', path.join(dir, 'bad.npy')]);
  expect(r.status).toBe(1);
  expect(r.stderr.trim().split('\n')).toHaveLength(1);
  expect(r.stderr).toContain(`realabel: ${path.join(bad, 'img_001.jpg')}: cannot decode image`);
  const s = cli([BIN, 'logits', ...base, '--out', path.join(dir, 'bad.npy'), '--skip-bad', '--json']);
  expect(s.status).toBe(0);
  const summary = JSON.parse(s.stdout);
  expect(summary.skipped).toEqual([expect.objectContaining({ row: 1, file: 'img_001.jpg' })]);
  expect(fs.readFileSync(path.join(dir, 'bad.npy.skipped.txt'), 'utf8')).toBe('img_001.jpg\n');
});

test('a model mismatch and bad options are user errors (exit 1)', () => {
  const r = cli([...args('x.npy'), '--classes', '1000']);
  expect(r.status).toBe(1);
  expect(r.stderr).toMatch(/^realabel: .*m\.onnx: model output 'logits' has 7 classes, expected 1000 \(--classes\)\n$/);
  const m = cli([...args('x.npy'), '--mean', '0.5,0.5']);
  expect(m.status).toBe(1);
  expect(m.stderr).toMatch(/--mean must be three numbers/);
  expect(fs.existsSync(path.join(dir, 'x.npy'))).toBe(false);
});
