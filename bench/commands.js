#!/usr/bin/env node
// Whole commands beside their I/O floor, in one run (issue 14): for each
// command, the wall time of the process from spawn to exit minus that of
// `realabel --version` (start-up, measured on its own), its kernel time,
// the I/O floor (reading the same input files through one reused 4 MB
// buffer and writing the same number of output bytes), peak RSS, and the
// numpy/pandas script doing the same job where there is one (whole process
// against whole process). Files are in the page cache (each command runs
// once untimed first). Medians of REPS runs.
// Run `npx tsc -p tsconfig.json` and the native build first.
// Env: BENCH_CMD_MODELS (19; evaluate uses one more), BENCH_CMD_REPS (3),
// BENCH_CMD_ONLY (comma list of: topk,propose,aggregate,csv,evaluate).
// Writes bench/results/commands.json.
'use strict';
const { spawnSync } = require('node:child_process');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');

const root = path.join(__dirname, '..');
const bin = path.join(root, 'bin', 'realabel.js');
const data = path.join(root, '..', 'shared', 'data');
const REAL = path.join(data, 'reassessed-imagenet');
const M = Number(process.env.BENCH_CMD_MODELS || 19);
const REPS = Number(process.env.BENCH_CMD_REPS || 3);
const ONLY = (process.env.BENCH_CMD_ONLY || 'topk,propose,aggregate,csv,evaluate').split(',');
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor((xs.length - 1) / 2)];
const TIME = fs.existsSync('/usr/bin/time') ? '/usr/bin/time' : null;
const hasPython = (mod) => spawnSync('python3', ['-c', `import ${mod}`]).status === 0;

/** Runs argv once: wall ms (spawn to exit), peak RSS MB, stdout. */
function runOnce(argv, opts = {}) {
  const cmd = TIME ? [TIME, '-f', '%M', ...argv] : argv;
  const t0 = performance.now();
  const r = spawnSync(cmd[0], cmd.slice(1), { encoding: 'utf8', maxBuffer: 1 << 26, ...opts });
  const wall = performance.now() - t0;
  if (r.status !== 0) throw new Error(`${argv.join(' ')} failed (${r.status}): ${r.stderr.slice(-2000)}`);
  const rss = TIME ? Number(r.stderr.trim().split('\n').pop()) / 1024 : null;
  return { wall, rss, stdout: r.stdout };
}

/** Untimed warm-up, then REPS timed runs: median wall and peak RSS. */
function timed(argv, opts) {
  runOnce(argv, opts);
  const runs = Array.from({ length: REPS }, () => runOnce(argv, opts));
  return { wall_ms: median(runs.map((r) => r.wall)), peak_rss_mb: Math.max(...runs.map((r) => r.rss ?? 0)) || null, last: runs[runs.length - 1].stdout };
}

/** Reading every input through one reused 4 MB buffer and writing `outBytes` bytes: the I/O floor, ms (median). */
function ioFloor(inputs, outBytes, tmp) {
  const buf = Buffer.allocUnsafeSlow(4 << 20);
  const once = () => {
    const t0 = performance.now();
    for (const f of inputs) {
      const fd = fs.openSync(f, 'r');
      while (fs.readSync(fd, buf, 0, buf.length, null) > 0);
      fs.closeSync(fd);
    }
    const out = path.join(tmp, 'floor.out');
    const fd = fs.openSync(out, 'w');
    for (let left = outBytes; left > 0; left -= Math.min(left, buf.length)) fs.writeSync(fd, buf, 0, Math.min(left, buf.length));
    fs.closeSync(fd);
    fs.rmSync(out);
    return performance.now() - t0;
  };
  once();
  return median(Array.from({ length: Math.max(3, REPS) }, once));
}

function row(name, workload, cmd, floor, extra = {}) {
  const net = cmd.wall_ms - startup;
  const r = { name, workload, command_ms: +net.toFixed(1), io_floor_ms: +floor.toFixed(1), ratio_to_floor: +(net / floor).toFixed(2), peak_rss_mb: cmd.peak_rss_mb && +cmd.peak_rss_mb.toFixed(0), ...extra };
  console.log(JSON.stringify(r));
  return r;
}

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'realabel-bench-commands-'));
let startup = 0;
async function main() {
  const node = process.execPath;
  const version = timed([node, bin, '--version']);
  startup = version.wall_ms;
  console.log(`realabel --version: ${startup.toFixed(0)} ms (subtracted from every command)`);
  const rows = [];
  const needModels = ONLY.some((o) => ['topk', 'propose', 'evaluate'].includes(o));
  let sim = null;
  if (needModels) {
    const { simulateFiles } = require(path.join(root, 'dist', 'simulate', 'write'));
    const t0 = performance.now();
    sim = await simulateFiles({ out: path.join(tmp, 'sim'), images: 50000, classes: 1000, models: ONLY.includes('evaluate') ? M + 1 : M, seed: 1, workers: 2 });
    console.log(`simulated ${sim.models.length} models in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
  }

  if (ONLY.includes('topk')) {
    const logits = sim.models[0];
    // The sync kernel: the async one would only be queued by the timed call.
    const { topkSync } = require(path.join(root, 'dist', 'topk', 'topk'));
    const { readNpy } = require(path.join(root, 'dist', 'io', 'npy'));
    const arr = readNpy(logits);
    // The kernel's first call in a fresh process, as the command's stream runs:
    // it pays first touch of its candidate and sort memory too.
    const firstCall = (criterion) => Number(spawnSync(node, ['-e', [
      `const { topkSync } = require(${JSON.stringify(path.join(root, 'dist', 'topk', 'topk'))});`,
      `const a = require(${JSON.stringify(path.join(root, 'dist', 'io', 'npy'))}).readNpy(${JSON.stringify(logits)});`,
      `const t0 = performance.now(); topkSync(a.data, 50000, 1000, 150000, { criterion: '${criterion}' });`,
      'console.log(performance.now() - t0);',
    ].join('\n')], { encoding: 'utf8' }).stdout.trim());
    for (const criterion of ['logit', 'prob']) {
      const out = path.join(tmp, `pairs-${criterion}.npz`);
      const cmd = timed([node, bin, 'topk', logits, '--k', '150000', '--criterion', criterion, '--out', out, '--json']);
      const kernel = median(Array.from({ length: 5 }, () => {
        const t0 = performance.now();
        topkSync(arr.data, 50000, 1000, 150000, { criterion });
        return performance.now() - t0;
      }));
      const j = JSON.parse(cmd.last);
      let numpy = null;
      if (hasPython('numpy')) {
        const script = criterion === 'logit'
          ? 'import numpy as np,sys\nx=np.load(sys.argv[1]);f=x.ravel();i=np.argpartition(f,f.size-150000)[-150000:];i=i[np.argsort(-f[i],kind="stable")]\nnp.savez(sys.argv[2],image=(i//x.shape[1]).astype(np.int32),label=(i%x.shape[1]).astype(np.int32),value=f[i])'
          : 'import numpy as np,sys\nx=np.load(sys.argv[1]);m=x.max(1,keepdims=True);lp=(x-(m+np.log(np.exp(x-m).sum(1,keepdims=True)))).ravel();i=np.argpartition(lp,lp.size-150000)[-150000:];i=i[np.argsort(-lp[i],kind="stable")]\nnp.savez(sys.argv[2],image=(i//x.shape[1]).astype(np.int32),label=(i%x.shape[1]).astype(np.int32),value=np.exp(lp[i]).astype(np.float32))';
        numpy = timed(['python3', '-c', script, logits, path.join(tmp, 'np-pairs.npz')]).wall_ms;
      }
      rows.push(row(`topk ${criterion}`, '50,000 × 1,000 f32, K = 150,000', cmd, ioFloor([logits], fs.statSync(out).size, tmp), {
        kernel_ms: +kernel.toFixed(1),
        kernel_first_call_ms: +median(Array.from({ length: REPS }, () => firstCall(criterion))).toFixed(1),
        stream_select_ms: j.timings_ms.select,
        stream_select_over_kernel: +(j.timings_ms.select / kernel).toFixed(2),
        numpy_process_ms: numpy && +numpy.toFixed(0),
      }));
    }
  }

  if (ONLY.includes('propose')) {
    const models = sim.models.slice(0, M);
    const out = path.join(tmp, 'proposals.npz');
    const cmd = timed([node, bin, 'propose', '--logits', ...models, '--original', sim.original, '--out', out, '--json']);
    const j = JSON.parse(cmd.last);
    rows.push(row('propose', `${M} models × 50,000 × 1,000 f32`, cmd, ioFloor([...models, sim.original], fs.statSync(out).size, tmp), { timings_ms: j.timings_ms }));
  }

  if (ONLY.includes('aggregate') && fs.existsSync(REAL)) {
    const raters = path.join(REAL, 'raters.npz');
    const out = path.join(tmp, 'scores.npz');
    const cmd = timed([node, bin, 'aggregate', '--answers', raters, '--method', 'ds', '--max-iter', '50', '--tol', '0', '--out', out, '--json']);
    const t = JSON.parse(cmd.last).timings_ms;
    let numpy = null;
    if (hasPython('numpy') && fs.existsSync(path.join(__dirname, 'ds_numpy.py'))) numpy = timed(['python3', path.join(__dirname, 'ds_numpy.py'), raters, '50', '1']).wall_ms;
    const floor = ioFloor([raters], fs.statSync(out).size, tmp);
    rows.push(row('aggregate ds', 'raters.npz (924,810 answers), 50 EM iterations', cmd, floor, {
      kernel_ms: t.fit, read_ms: t.read, write_ms: t.write, target_ms: +(2 * floor + t.fit).toFixed(1), numpy_process_ms: numpy && +numpy.toFixed(0),
    }));
  }

  if (ONLY.includes('csv')) {
    const csv = path.join(tmp, 'answers.csv');
    writeCategoricalCsv(csv);
    const out = path.join(tmp, 'posteriors.csv');
    const cmd = timed([node, bin, 'aggregate', '--answers', csv, '--method', 'ds', '--out', out, '--json']);
    const t = JSON.parse(cmd.last).timings_ms;
    const { readAnswers } = require(path.join(root, 'dist', 'io', 'answers'));
    const reads = [];
    for (let i = 0; i < 4; i++) {
      const t0 = performance.now();
      await readAnswers(csv);
      reads.push(performance.now() - t0);
    }
    let pandas = null;
    let pandasRead = null;
    if (hasPython('pandas')) {
      pandas = timed(['python3', '-c', 'import pandas as pd,sys\npd.read_csv(sys.argv[1])', csv]).wall_ms;
      const r = spawnSync('python3', ['-c', 'import pandas as pd,sys,time\nts=[]\nfor _ in range(4):\n t=time.perf_counter();pd.read_csv(sys.argv[1]);ts.append((time.perf_counter()-t)*1000)\nprint(sorted(ts)[1])', csv], { encoding: 'utf8' });
      pandasRead = Number(r.stdout.trim());
    }
    rows.push(row('aggregate ds, categorical CSV', '1,000,000 rows task,worker,label (strings)', cmd, ioFloor([csv], fs.statSync(out).size, tmp), {
      kernel_ms: t.fit, read_ms: t.read, write_ms: t.write, target_ms: 1500,
      read_answers_in_process_ms: +median(reads.slice(1)).toFixed(0), pandas_read_csv_in_process_ms: pandasRead && +pandasRead.toFixed(0),
      pandas_read_csv_process_ms: pandas && +pandas.toFixed(0),
    }));
  }

  if (ONLY.includes('evaluate') && fs.existsSync(REAL)) {
    const models = sim.models.slice(0, M + 1);
    const labels = path.join(REAL, 'real.json');
    const cmd = timed([node, bin, 'evaluate', '--labels', labels, '--predictions', ...models, '--original', sim.original, '--json']);
    rows.push(row('evaluate', `${models.length} models × 50,000 × 1,000 f32`, cmd, ioFloor([labels, sim.original, ...models], Buffer.byteLength(cmd.last), tmp)));
  }

  const result = {
    date: new Date().toISOString(),
    node: process.version,
    cpus: `${os.cpus().length} x ${os.cpus()[0]?.model ?? '?'}`,
    load_average: os.loadavg().map((x) => +x.toFixed(2)),
    note: 'shared 2-core machine; command_ms = process wall time minus `realabel --version`; io_floor_ms = inputs read through one reused 4 MB buffer + output bytes written',
    startup_ms: +startup.toFixed(1),
    reps: REPS,
    rows,
  };
  fs.mkdirSync(path.join(__dirname, 'results'), { recursive: true });
  fs.writeFileSync(path.join(__dirname, 'results', 'commands.json'), `${JSON.stringify(result, null, 2)}\n`);
}

/** 100,000 tasks × 10 answers by 2,000 workers over 10 string labels (seeded), 28 MB. */
function writeCategoricalCsv(file) {
  let s = 1;
  const r = () => ((s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 4294967296);
  const L = ['cat', 'dog', 'bird', 'fish', 'horse', 'deer', 'frog', 'ship', 'truck', 'plane'];
  const fd = fs.openSync(file, 'w');
  const lines = ['task,worker,label'];
  for (let t = 0; t < 100000; t++) {
    const truth = Math.floor(r() * 10);
    const used = new Set();
    for (let j = 0; j < 10; j++) {
      let w;
      do w = Math.floor(r() * 2000);
      while (used.has(w));
      used.add(w);
      lines.push(`img_${String(t).padStart(6, '0')},worker_${String(w).padStart(4, '0')},${L[r() < 0.7 ? truth : Math.floor(r() * 10)]}`);
    }
    if (lines.length > 50000) fs.writeSync(fd, `${lines.splice(0).join('\n')}\n`);
  }
  fs.writeSync(fd, `${lines.join('\n')}\n`);
  fs.closeSync(fd);
}

main()
  .catch((err) => {
    console.error(err.stack || err);
    process.exitCode = 1;
  })
  .finally(() => fs.rmSync(tmp, { recursive: true, force: true }));
