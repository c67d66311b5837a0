#!/usr/bin/env node
// The cluster (BullMQ on a local redis-server, 3 `realabel cluster worker`
// processes on this machine), two measurements in one run:
//   1. orchestration overhead per EM iteration: Dawid–Skene on a small
//      problem (3,000 questions, 15,000 answers: the kernels take well under
//      a millisecond), per iteration = (T(220 iterations) - T(20)) / 200 of
//      the library call with `cluster`, median of repeats; the single-machine
//      per-iteration time beside it. Target: <= 20 ms.
//   2. `realabel aggregate --method ds --max-iter 20 --tol 0` on simulated
//      answers (REALABEL_BENCH_ANSWERS, default 10,000,000; CSV, 5 answers
//      per question, 1,000 workers), whole command with and without
//      --cluster, its fit time, and the two outputs compared byte for byte.
// On a 2-core machine 3 workers + the coordinator share 2 cores and every
// process parses the answers: the cluster is slower here, by design of the
// test bed, not faster. Needs redis-server; writes bench/results/cluster.json.
'use strict';
const { spawn, spawnSync } = require('node:child_process');
const fs = require('node:fs');
const net = require('node:net');
const os = require('node:os');
const path = require('node:path');

const root = path.join(__dirname, '..');
const BIN = path.join(root, 'bin', 'realabel.js');
const { aggregate } = require(path.join(root, 'dist', 'aggregate', 'aggregate'));
const ANSWERS = Number(process.env.REALABEL_BENCH_ANSWERS || 10_000_000);
const QUICK = process.env.REALABEL_BENCH_QUICK === '1';
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

if (spawnSync('redis-server', ['--version']).status !== 0) {
  console.log('skipping: redis-server is not installed');
  process.exit(0);
}

const freePort = () => new Promise((resolve) => {
  const s = net.createServer();
  s.listen(0, '127.0.0.1', () => { const p = s.address().port; s.close(() => resolve(p)); });
});

function waitFor(child, pattern) {
  return new Promise((resolve, reject) => {
    let out = '';
    const on = (d) => { out += d; if (pattern.test(out)) resolve(); };
    child.stdout.on('data', on);
    child.stderr.on('data', on);
    child.once('exit', () => reject(new Error(`exited: ${out}`)));
  });
}

/** Simulated answers: Q questions, 5 distinct workers of W each, 3 classes, worker accuracies 0.55..0.95. */
function writeAnswers(file, n, W) {
  const Q = Math.floor(n / 5);
  let s = 12345;
  const rnd = () => ((s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 2 ** 32);
  const fd = fs.openSync(file, 'w');
  const lines = ['task,worker,label'];
  for (let q = 0; q < Q; q++) {
    const truth = Math.floor(rnd() * 3);
    const used = [];
    while (used.length < 5) {
      const w = Math.floor(rnd() * W);
      if (!used.includes(w)) used.push(w);
    }
    for (const w of used) lines.push(`q${q},w${w},${rnd() < 0.55 + (0.4 * w) / W ? truth : Math.floor(rnd() * 3)}`);
    if (lines.length > 100000) { fs.writeSync(fd, `${lines.join('\n')}\n`); lines.length = 0; }
  }
  fs.writeSync(fd, `${lines.join('\n')}\n`);
  fs.closeSync(fd);
}

function timed(args) {
  const t = performance.now();
  const r = spawnSync(process.execPath, [BIN, ...args], { encoding: 'utf8', maxBuffer: 1 << 28 });
  if (r.status !== 0) throw new Error(`realabel ${args.join(' ')}: ${r.stderr}`);
  return { ms: performance.now() - t, json: JSON.parse(r.stdout) };
}

async function main() {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'realabel-bench-cluster-'));
  const port = await freePort();
  const url = `redis://127.0.0.1:${port}`;
  const procs = [];
  try {
    const redis = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no']);
    procs.push(redis);
    await waitFor(redis, /Ready to accept connections/);
    for (let i = 0; i < 3; i++) {
      const w = spawn(process.execPath, [BIN, 'cluster', 'worker', '--redis', url]);
      procs.push(w);
      await waitFor(w, /worker .* on redis:/);
    }

    // 1. Overhead per iteration.
    const small = path.join(dir, 'small.csv');
    writeAnswers(small, 15000, 20);
    const fit = async (maxIter, cluster) => {
      const t = performance.now();
      await aggregate({ answers: small, method: 'ds', maxIter, tol: 0, cluster });
      return performance.now() - t;
    };
    const repeats = QUICK ? 3 : 5;
    const per = { cluster: [], single: [] };
    for (let r = 0; r < repeats; r++) {
      per.cluster.push(((await fit(220, url)) - (await fit(20, url))) / 200);
      per.single.push(((await fit(220)) - (await fit(20))) / 200);
    }
    const overhead = { cluster_ms_per_iteration: median(per.cluster), single_ms_per_iteration: median(per.single), samples: per };
    console.log(`EM iteration, 15,000 answers, 3 local workers: ${overhead.cluster_ms_per_iteration.toFixed(2)} ms (single machine ${overhead.single_ms_per_iteration.toFixed(3)} ms; target <= 20 ms)`);

    // 2. A large run, whole command.
    const big = path.join(dir, 'big.csv');
    let t = performance.now();
    writeAnswers(big, ANSWERS, 1000);
    const genMs = performance.now() - t;
    const args = ['aggregate', '--answers', big, '--method', 'ds', '--max-iter', '20', '--tol', '0', '--json'];
    const one = timed([...args, '--out', path.join(dir, 'one.csv')]);
    const many = timed([...args, '--out', path.join(dir, 'many.csv'), '--cluster', url]);
    const same = fs.readFileSync(path.join(dir, 'one.csv')).equals(fs.readFileSync(path.join(dir, 'many.csv')));
    const large = {
      answers: one.json.answers, questions: one.json.questions, workers: one.json.workers, iterations: 20, generate_ms: genMs,
      single: { wall_ms: one.ms, timings_ms: one.json.timings_ms },
      cluster: { wall_ms: many.ms, timings_ms: many.json.timings_ms },
      byte_identical: same,
    };
    console.log(`aggregate ds, ${large.answers} answers, 20 iterations: single ${(one.ms / 1000).toFixed(1)} s (fit ${(one.json.timings_ms.fit / 1000).toFixed(1)} s), --cluster ${(many.ms / 1000).toFixed(1)} s (fit ${(many.json.timings_ms.fit / 1000).toFixed(1)} s); outputs identical: ${same}`);
    const out = { machine: { cores: os.cpus().length, loadavg: os.loadavg() }, overhead, large };
    fs.mkdirSync(path.join(__dirname, 'results'), { recursive: true });
    fs.writeFileSync(path.join(__dirname, 'results', 'cluster.json'), `${JSON.stringify(out, null, 2)}\n`);
  } finally {
    for (const p of procs.reverse()) if (p.exitCode === null) p.kill('SIGTERM');
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

main().catch((err) => {
  console.error(err);
  process.exitCode = 1;
});
