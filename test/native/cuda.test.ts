/**
 * The optional CUDA module (docs/gpu.md) on machines without a GPU, and its
 * results against the CPU addon where there is one.
 *
 * - The GPU's copy of the prob arithmetic (native/cuda/topk_math.cuh) equals
 *   native/topk_math.h bit for bit: compiled as plain C++, no nvcc needed.
 * - Where nvcc is found, the `cuda` preset builds (a no-op after npm install
 *   built it), so CI catches compile errors in the .cu files; the module
 *   loads without a GPU and says there is none.
 * - Where a GPU is present, topk, pooling and EM through `backend: 'cuda'`
 *   equal `backend: 'native'`; otherwise those tests skip, saying why.
 */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { runEmSync } from '../../src/aggregate/em';
import { majorityVoteSync } from '../../src/aggregate/mv';
import { hasNative, selectAddon } from '../../src/native/addon';
import { cudaAddon, cudaUnavailable } from '../../src/native/cuda';
import { poolPairsSync } from '../../src/pool/pool';
import { topkSync } from '../../src/topk/topk';
import { rng } from '../helpers/rng';

const ROOT = path.resolve(__dirname, '..', '..');
const MODULE = path.join(ROOT, 'build-cuda', 'realabel_cuda.node');
const CHECK = path.join(ROOT, 'build-cuda', 'realabel_gpu_check');

function nvcc(): string {
  if (spawnSync('nvcc', ['--version']).status === 0) return 'nvcc';
  return ['/usr/local/cuda/bin/nvcc', process.env.CUDACXX].find((p) => p && fs.existsSync(p)) ?? '';
}

describe('GPU prob arithmetic (topk_math.cuh) equals the CPU definition (topk_math.h)', () => {
  const cxx = spawnSync('c++', ['--version']).status === 0;
  (cxx ? it : it.skip)(`bit for bit on edge and random inputs${cxx ? '' : ' [skipped: no C++ compiler]'}`, () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'realabel-mirror-'));
    try {
      const exe = path.join(dir, 'mirror');
      const src = path.join(ROOT, 'native', 'cuda', 'math_mirror_test.cc');
      const build = spawnSync('c++', ['-std=c++17', '-O2', '-ffp-contract=off', src, '-o', exe], { encoding: 'utf8' });
      expect(build.stderr).toBe('');
      expect(build.status).toBe(0);
      const run = spawnSync(exe, [], { encoding: 'utf8' });
      expect(JSON.parse(run.stdout)).toMatchObject({ ok: true });
      expect(run.status).toBe(0);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  }, 120_000);
});

const NVCC = nvcc();
const noBuild = process.env.REALABEL_SANITIZED === '1' ? 'inside the sanitized run' : NVCC ? '' : 'nvcc not found';
if (noBuild) console.warn(`skipping the CUDA build checks: ${noBuild}`);

(noBuild ? describe.skip : describe)(`CUDA module build${noBuild ? ` [skipped: ${noBuild}]` : ''}`, () => {
  beforeAll(() => {
    const env = NVCC === 'nvcc' ? process.env : { ...process.env, CUDACXX: NVCC };
    for (const args of [['--preset', 'cuda'], ['--build', '--preset', 'cuda', '-j', '2']]) {
      const r = spawnSync('cmake', args, { cwd: ROOT, env, encoding: 'utf8', maxBuffer: 64 << 20 });
      if (r.status !== 0) throw new Error(`cmake ${args.join(' ')} failed:\n${r.stdout}\n${r.stderr}`);
    }
  }, 900_000);

  it('builds realabel_cuda.node and the standalone check, and the module loads', () => {
    expect(fs.existsSync(CHECK)).toBe(true);
    const m = require(MODULE) as Record<string, (...a: unknown[]) => unknown>;
    for (const fn of ['cudaDeviceCount', 'cudaDeviceName', 'topkSelect', 'topkSelectAsync', 'topkStreamCreate', 'topkStreamPushAsync', 'topkStreamFinishAsync', 'poolPairs', 'poolPairsAsync', 'aggEm', 'aggEmAsync']) {
      expect(typeof m[fn]).toBe('function');
    }
    expect(Number.isInteger(m.cudaDeviceCount())).toBe(true);
    expect(typeof m.cudaDeviceName()).toBe('string');
  });

  it('checks arguments with the CPU cores before touching the GPU', () => {
    const m = require(MODULE) as Record<string, (...a: unknown[]) => unknown>;
    expect(() => m.topkSelect(new Float32Array(6), 2, 4, 1, 0, 0)).toThrow(/data has 6 values, expected n \* c = 8/);
    expect(() => m.topkSelect(new Float32Array(6), 2, 4, 1, 0, 0)).toThrow(expect.objectContaining({ code: 'E_ARGUMENT' }));
    expect(() => m.topkSelect(new Int32Array(8), 2, 4, 1, 0, 0)).toThrow(/data: expected a Float32Array or Float64Array/);
  });

  const gpu = cudaAddon() !== null;
  (gpu ? it.skip : it)('without a GPU: backend cuda fails with the reason, auto stays on the CPU, the check exits 2', () => {
    expect(() => selectAddon('cuda')).toThrow(/backend 'cuda' requested but no GPU/);
    if (hasNative()) expect(selectAddon('auto')).toBe(selectAddon('native'));
    const r = spawnSync(CHECK, [], { encoding: 'utf8' });
    expect(r.status).toBe(2);
    expect(JSON.parse(r.stdout)).toMatchObject({ skipped: 'no CUDA device' });
  });
});

const noGpu = cudaAddon() ? (hasNative() ? '' : 'the CPU addon is not built') : cudaUnavailable();
if (noGpu) console.warn(`skipping the GPU result tests: ${noGpu}`);

(noGpu ? describe.skip : describe)(`GPU results equal the CPU addon's${noGpu ? ` [skipped: ${noGpu}]` : ''}`, () => {
  const r = rng(17);
  const n = 3000;
  const c = 200;
  const data = Float32Array.from({ length: n * c }, () => Math.round((r() * 8 - 4) * 16) / 16);

  it.each(['logit', 'prob'] as const)('topk %s: same pairs, order and values (ties included)', (criterion) => {
    for (const k of [1, 7, n, 5 * n]) {
      expect(topkSync(data, n, c, k, { criterion, backend: 'cuda' })).toEqual(topkSync(data, n, c, k, { criterion, backend: 'native' }));
    }
  });

  it('topk reports the first non-finite value like the CPU', () => {
    const bad = data.slice();
    bad[1234 * c + 5] = NaN;
    expect(() => topkSync(bad, n, c, 10, { backend: 'cuda' })).toThrow(/row 1234, column 5 is NaN/);
  });

  it('pooling gives the same bytes', () => {
    const sources = Array.from({ length: 6 }, (_, s) => {
      const image = Int32Array.from({ length: 5000 }, () => Math.floor(r() * n));
      const label = Int32Array.from(image, (i) => (i * 7 + Math.floor(r() * 3)) % c);
      return { model: s >> 1, image, label };
    });
    const forced = [Int32Array.from({ length: n }, (_, i) => (i * 7) % c)];
    const input = { n, c, models: 3, sources, forced, minVotes: 2 };
    expect(poolPairsSync(input, { backend: 'cuda' })).toEqual(poolPairsSync(input, { backend: 'native' }));
  });

  it('Dawid–Skene EM: same iterations, posteriors within 1e-12', () => {
    const Q = 2000;
    const W = 40;
    const question = Int32Array.from({ length: Q * 3 }, (_, i) => Math.floor(i / 3));
    const worker = Int32Array.from(question, () => Math.floor(r() * W));
    const answer = Int32Array.from(question, (q) => (r() < 0.8 ? q % 2 : Math.floor(r() * 3)));
    const init = new Float64Array(Q * 2).fill(0.5);
    const problem = { question, worker, answer, numQuestions: Q, numWorkers: W, init };
    // Both stopping rules; the default one compares objectives, which the GPU
    // forms with the CPU's log on the host: equal to the bit in probability space.
    for (const stopRule of [0, 1] as const) {
      const opts = { numAnswers: 3, numClasses: 2, method: 0 as const, maxIter: 100, stopRule, tol: stopRule ? 1e-9 : 1e-7, smoothing: 0.01 };
      const [g] = runEmSync([problem], { ...opts, backend: 'cuda' });
      const [cpu] = runEmSync([problem], { ...opts, backend: 'native' });
      expect([g.iterations, g.converged]).toEqual([cpu.iterations, cpu.converged]);
      expect(Array.from(g.objective)).toEqual(Array.from(cpu.objective));
      for (let i = 0; i < cpu.posterior.length; i++) expect(Math.abs(g.posterior[i] - cpu.posterior[i])).toBeLessThanOrEqual(1e-12);
    }
  });

  it("the default stopping rule on a slow 33-answer set: the CPU's iteration (35)", () => {
    // The set of test/aggregate/ds.test.ts: 11 tasks, 3 of 5 workers each, labels a, b, c.
    const rows = `t0,w2,b t0,w1,b t0,w3,b t1,w3,b t1,w0,b t1,w1,b t2,w3,b t2,w2,a t2,w4,b t3,w0,c t3,w4,a t3,w3,c t4,w4,c t4,w3,b t4,w0,a
      t5,w1,a t5,w2,c t5,w3,c t6,w0,b t6,w4,c t6,w3,b t7,w3,c t7,w4,b t7,w1,a t8,w2,c t8,w1,b t8,w4,b t9,w3,b t9,w4,b t9,w2,b t10,w4,a t10,w1,b t10,w0,c`
      .trim().split(/\s+/).map((x) => x.split(','));
    const ans = {
      question: Int32Array.from(rows, (x) => Number(x[0].slice(1))),
      worker: Int32Array.from(rows, (x) => Number(x[1].slice(1))),
      answer: Int32Array.from(rows, (x) => 'abc'.indexOf(x[2])),
      numQuestions: 11,
      numWorkers: 5,
      alphabet: ['a', 'b', 'c'],
    };
    // The majority-vote start, as aggregate and dawidSkene use.
    const problem = { ...ans, init: majorityVoteSync(ans, { mode: 'categorical', backend: 'native' }) };
    const opts = { numAnswers: 3, numClasses: 3, method: 0 as const, maxIter: 500, tol: 1e-5, smoothing: 0 };
    const [g] = runEmSync([problem], { ...opts, backend: 'cuda' });
    const [cpu] = runEmSync([problem], { ...opts, backend: 'native' });
    expect([cpu.iterations, cpu.converged]).toEqual([35, true]);
    expect([g.iterations, g.converged]).toEqual([35, true]);
    expect(Array.from(g.objective)).toEqual(Array.from(cpu.objective));
  });
});
