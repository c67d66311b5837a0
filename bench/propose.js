#!/usr/bin/env node
// `realabel propose` end to end on 19 simulated models of 50,000 x 1,000
// (3.8 GB of float32 .npy in a temp dir, deleted afterwards): wall time and
// peak RSS of the whole process (maxRSS covers the main and worker threads),
// with 1 and 2 Piscina workers. Targets: <= 15 s wall, <= 1.5 GB RSS.
// Timed runs, not benchmark.js: each sample is a multi-second pipeline.
// Run `npx tsc -p tsconfig.json` first. REALABEL_BENCH_IMAGES / _CLASSES /
// _MODELS change the size. Writes bench/results/propose.json.
'use strict';
const { spawnSync } = require('node:child_process');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');

const root = path.join(__dirname, '..');
const { simulateFiles } = require(path.join(root, 'dist', 'simulate', 'write'));

const N = Number(process.env.REALABEL_BENCH_IMAGES || 50000);
const C = Number(process.env.REALABEL_BENCH_CLASSES || 1000);
const M = Number(process.env.REALABEL_BENCH_MODELS || 19);
const WORKERS = (process.env.REALABEL_BENCH_WORKERS || '1,2').split(',').map(Number);

// Runs the CLI in a fresh process and reports its own maxRSS (KiB) on fd 3.
const RUNNER = `
const fs = require('node:fs');
const t0 = performance.now();
require(${JSON.stringify(path.join(root, 'dist', 'cli', 'main.js'))}).main(['node', 'realabel', ...process.argv.slice(1)]).then(() => {
  fs.writeSync(3, JSON.stringify({ wall_ms: performance.now() - t0, max_rss_kib: process.resourceUsage().maxRSS, exit: process.exitCode ?? 0 }));
});`;

function runPropose(files, original, out, workers) {
  const args = ['propose', '--logits', ...files, '--original', original, '--out', out, '--json', '--workers', String(workers)];
  const t0 = performance.now();
  const r = spawnSync(process.execPath, ['-e', RUNNER, ...args], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe', 'pipe'] });
  const outerWall = performance.now() - t0;
  if (r.status !== 0) throw new Error(`propose failed (${r.status}): ${r.stderr}`);
  const inner = JSON.parse(r.output[3]);
  const report = JSON.parse(r.stdout);
  return {
    workers,
    wall_ms_process: outerWall,
    wall_ms_in_process: inner.wall_ms,
    peak_rss_mb: inner.max_rss_kib / 1024,
    P: report.P,
    proposals_per_image: report.proposals_per_image,
    all_top1_equal_original: report.all_top1_equal_original,
    timings_ms: report.timings_ms,
  };
}

async function main() {
  const need = M * N * C * 4 + 64 * 2 ** 20;
  const tmpRoot = os.tmpdir();
  const st = fs.statfsSync(tmpRoot);
  const free = st.bavail * st.bsize;
  if (free < need * 1.5) throw new Error(`${tmpRoot} has ${(free / 2 ** 30).toFixed(1)} GiB free; need ${(need / 2 ** 30).toFixed(1)} GiB (x1.5)`);
  const dir = fs.mkdtempSync(path.join(tmpRoot, 'realabel-bench-propose-'));
  const cleanup = () => fs.rmSync(dir, { recursive: true, force: true });
  process.on('SIGINT', () => {
    cleanup();
    process.exit(130);
  });
  try {
    const t0 = performance.now();
    const sim = await simulateFiles({ out: path.join(dir, 'sim'), images: N, classes: C, models: M, seed: 1, workers: 2 });
    const simulateMs = performance.now() - t0;
    process.stderr.write(`simulated ${M} x [${N}, ${C}] in ${(simulateMs / 1000).toFixed(1)} s\n`);
    const runs = [];
    for (const w of WORKERS) {
      const r = runPropose(sim.models, sim.original, path.join(dir, `proposals-${w}.npz`), w);
      process.stderr.write(`workers ${w}: ${(r.wall_ms_process / 1000).toFixed(2)} s wall, ${r.peak_rss_mb.toFixed(0)} MB peak RSS\n`);
      runs.push(r);
    }
    const same = WORKERS.length < 2 || fs.readFileSync(path.join(dir, `proposals-${WORKERS[0]}.npz`)).equals(fs.readFileSync(path.join(dir, `proposals-${WORKERS[1]}.npz`)));
    const by = Object.fromEntries(runs.map((r) => [r.workers, r]));
    const out = {
      bench: 'propose',
      date: new Date().toISOString(),
      machine: { cpus: os.cpus().length, model: os.cpus()[0]?.model, node: process.version, loadavg: os.loadavg() },
      note: 'shared 2-core machine; logits files in the page cache right after simulation; wall = spawn to exit',
      input: { images: N, classes: C, models: M, bytes_on_disk: M * N * C * 4, k: 3 * N, min_votes: 2 },
      simulate_ms: simulateMs,
      runs,
      speedup_1_to_2_workers: by[1] && by[2] ? by[1].wall_ms_process / by[2].wall_ms_process : null,
      outputs_identical_across_workers: same,
      targets: { wall_s: 15, peak_rss_mb: 1536 },
    };
    fs.mkdirSync(path.join(__dirname, 'results'), { recursive: true });
    fs.writeFileSync(path.join(__dirname, 'results', 'propose.json'), `${JSON.stringify(out, null, 2)}\n`);
    process.stdout.write(`${JSON.stringify({ runs, speedup: out.speedup_1_to_2_workers, same }, null, 2)}\n`);
  } finally {
    cleanup();
  }
}

main().catch((err) => {
  process.stderr.write(`${err.stack || err}\n`);
  process.exitCode = 1;
});
