/**
 * A Piscina worker that dies (process.exit in its thread) or throws a plain
 * error mid-run must fail the command cleanly: no hang (spawnSync's timeout
 * kills a hung run, which then shows as a signal), a non-zero exit with one
 * line on stderr, no output file, and no process left behind. The fault is injected by the test-only preload
 * test/helpers/worker-fault.js with REALABEL_TEST_WORKER_FAULT=<stage>:<exit|throw>:<n>:
 * the n-th task of a worker thread of that stage fails (production workers carry no hook).
 *
 * A dead worker is an internal error (exit 2) for propose and simulate; for
 * logits it is an inference failure (exit 1) that keeps the partial output
 * for --resume, and the resumed run must equal a clean one byte for byte.
 */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { writeNpy } from '../../src/io/npy';
import { tmpDir } from '../helpers/tmp';
import { writeMany } from '../logits/fixtures';
import { buildClassifier } from '../logits/onnx-model';

const BIN = path.resolve(__dirname, '..', '..', 'bin', 'realabel.js');
const FAULT_PRELOAD = path.resolve(__dirname, '..', 'helpers', 'worker-fault.js');
const dir = tmpDir('realabel-workers-');
const f = (name: string) => path.join(dir, name);
const TIME_BOUND_MS = 60_000;

function run(args: string[], fault?: string) {
  const env: NodeJS.ProcessEnv = { ...process.env, REALABEL_DEBUG: '', ORT_DISABLE_TELEMETRY: '1' };
  if (fault) {
    env.REALABEL_TEST_WORKER_FAULT = fault;
    env.NODE_OPTIONS = `${env.NODE_OPTIONS ?? ''} --require=${FAULT_PRELOAD}`.trim();
  } else delete env.REALABEL_TEST_WORKER_FAULT;
  const r = spawnSync(process.execPath, [BIN, ...args], { cwd: dir, encoding: 'utf8', env, timeout: TIME_BOUND_MS, killSignal: 'SIGKILL' });
  return r;
}

/** Processes whose command line mentions the test folder (a leftover child would). */
function processesUsing(folder: string): string[] {
  const ps = spawnSync('ps', ['-eo', 'pid=,args='], { encoding: 'utf8' });
  if (ps.status !== 0) return [];
  return ps.stdout.split('\n').filter((l) => l.includes(folder) && !l.includes(`${process.pid} `));
}

function expectCleanFailure(r: ReturnType<typeof run>, status: number, says: RegExp): void {
  const where = `stdout: ${r.stdout}\nstderr: ${r.stderr}`;
  expect({ signal: r.signal, status: r.status, where }).toEqual({ signal: null, status, where });
  expect(r.stderr).toMatch(/^realabel: [^\n]+\n$/);
  expect(r.stderr).toMatch(says);
  expect(processesUsing(dir)).toEqual([]);
}

const N = 3000;
const C = 12;

beforeAll(() => {
  for (let m = 0; m < 6; m++) {
    const d = new Float32Array(N * C);
    for (let i = 0; i < d.length; i++) d[i] = Math.sin((m + 1) * 0.37 * i) * 4;
    writeNpy(f(`m${m}.npy`), { dtype: 'f4', shape: [N, C], data: d });
  }
  writeNpy(f('orig.npy'), { dtype: 'i4', shape: [N], data: Int32Array.from({ length: N }, (_, i) => i % C) });
});

const MODELS = ['m0.npy', 'm1.npy', 'm2.npy', 'm3.npy', 'm4.npy', 'm5.npy'];

describe('propose: a worker that dies or throws on its second model', () => {
  it.each(['exit', 'throw'])('%s: exit 2, one line naming the model, no proposals, no process left', (kind) => {
    const out = f(`p-${kind}.npz`);
    // Small chunks: each model is scanned over several reads, so the fault comes mid-run.
    const r = run(['propose', '--logits', ...MODELS, '--original', 'orig.npy', '--out', out, '--workers', '2'], `propose:${kind}:2`);
    expectCleanFailure(r, 2, kind === 'exit' ? /m\d\.npy: worker failed: worker exited with code: 70/ : /m\d\.npy: worker failed: injected fault/);
    expect(fs.existsSync(out)).toBe(false);
    expect(fs.readdirSync(dir).filter((n) => n.includes('.tmp'))).toEqual([]);
  });

  it('without the fault the same run succeeds (the hook is what fails it)', () => {
    const r = run(['propose', '--logits', ...MODELS, '--original', 'orig.npy', '--out', f('p-ok.npz'), '--workers', '2']);
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    fs.rmSync(f('p-ok.npz'));
  });
});

describe('simulate: a worker that dies mid-run', () => {
  it.each(['exit', 'throw'])('%s: exit 2, one line, no files and no folder left', (kind) => {
    const out = f(`sim-${kind}`);
    const r = run(['simulate', '--models', '3', '--images', '6000', '--classes', '20', '--out', out, '--workers', '2'], `simulate:${kind}:3`);
    expectCleanFailure(r, 2, /simulate rows \d+\.\.\d+: worker failed/);
    expect(fs.existsSync(out)).toBe(false);
  });
});

describe('logits: a worker that dies on its third batch', () => {
  const images = f('images');
  let model = '';
  beforeAll(async () => {
    await writeMany(images, 24, 96);
    model = buildClassifier({ inputSize: 32, classes: 5, filters: 2, stride: 2, seed: 5 }).save(f('m.onnx'));
  });
  const args = (out: string) => ['logits', '--model', model, '--images', images, '--out', out, '--input-size', '32', '--resize', '40', '--batch', '4', '--workers', '1'];

  it.each(['exit', 'throw'])('%s: exit 1, one line, no output; --resume then equals a clean run', (kind) => {
    const out = f(`l-${kind}.npy`);
    const r = run(args(out), `logits:${kind}:3`);
    expectCleanFailure(r, 1, /inference failed on rows 8\.\.11: .*(worker exited with code: 70|injected fault)/);
    expect(fs.existsSync(out)).toBe(false);
    expect(fs.existsSync(`${out}.files.txt`)).toBe(false);
    const resumed = run([...args(out), '--resume']);
    expect(resumed.stderr).toBe('');
    expect(resumed.status).toBe(0);
    const clean = f(`l-${kind}-clean.npy`);
    expect(run(args(clean)).status).toBe(0);
    expect(fs.readFileSync(out).equals(fs.readFileSync(clean))).toBe(true);
  });
});
