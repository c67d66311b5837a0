#!/usr/bin/env node
// The rating app (`realabel serve`), three measurements:
//  1. HTTP (autocannon): raters fetching a task and submitting its answers
//     (GET /api/next then POST /api/answers, one rater per connection) while
//     other connections load task images from the cache. The server is a
//     child process (`realabel serve`), so it and the load generator each
//     have a core of the 2.
//  2. Export of 1,000,000 answers (csv, jsonl, raters-npz, label-studio), in
//     process and as the whole `realabel serve export` command.
//  3. Adaptive re-rating against a fixed overlap of 5, on simulated raters
//     with the real ReaL raters' confusions (src/demo/raters.ts): answers
//     spent, precision and recall of the labels (posterior >= 0.5) against
//     the simulated truth.
// Run `npx tsc -p tsconfig.json` first. Writes bench/results/serve.json.
// SERVE_BENCH_SECONDS (default 10) sets the HTTP run length.
'use strict';
const { spawn, spawnSync } = require('node:child_process');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const readline = require('node:readline');
const autocannon = require('autocannon');
const sharp = require('sharp');
const { median } = require('./lib/stats');

const root = path.join(__dirname, '..');
const dist = (m) => require(path.join(root, 'dist', m));
const { openDb, importTasks, addRater } = dist('serve/store');
const { Assigner } = dist('serve/assign');
const { exportToFiles } = dist('serve/export');
const { qualityOf } = dist('serve/quality');
const { aggregate } = dist('aggregate/aggregate');
const { Rng } = dist('simulate/rng');
const { drawRaters, answer } = dist('demo/raters');

const BIN = path.join(root, 'bin', 'realabel.js');
const SECONDS = Number(process.env.SERVE_BENCH_SECONDS || 10);
const SYNSETS = ['n01440764 tench', 'n01443537 goldfish', 'n01484850 great white shark', 'n01491361 tiger shark', 'n01494475 hammerhead',
  'n01496331 electric ray', 'n01498041 stingray', 'n01514668 cock', 'n01514859 hen', 'n01518878 ostrich'];

function project(dir, numTasks, numImages) {
  const images = path.join(dir, 'images');
  fs.mkdirSync(images, { recursive: true });
  const synsets = path.join(dir, 'synset.txt');
  fs.writeFileSync(synsets, `${SYNSETS.join('\n')}\n`);
  const tasks = path.join(dir, 'tasks.jsonl');
  const lines = [];
  for (let i = 0; i < numTasks; i++) lines.push(JSON.stringify({ task: `${i}-0`, image: i, labels: [i % 10, (i + 3) % 10, (i + 6) % 10].sort((a, b) => a - b).map((label) => ({ label })) }));
  fs.writeFileSync(tasks, `${lines.join('\n')}\n`);
  // Every task image is one of a few files (an image list may repeat names).
  const list = path.join(dir, 'images.txt');
  fs.writeFileSync(list, `${Array.from({ length: numTasks }, (_, i) => `img${i % numImages}.jpg`).join('\n')}\n`);
  return { images, synsets, tasks, list };
}

async function makeImages(dir, n) {
  for (let i = 0; i < n; i++) {
    await sharp({ create: { width: 1024, height: 768, channels: 3, background: { r: (i * 53) % 256, g: 90, b: (i * 17) % 256 } } })
      .jpeg().toFile(path.join(dir, `img${i}.jpg`));
  }
}

/** CPU time (user + system) of a process so far, from /proc. */
function cpuMs(pid) {
  const f = fs.readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
  return ((Number(f[11]) + Number(f[12])) * 1000) / 100; // clock ticks, USER_HZ = 100
}

function startServer(p, db) {
  const child = spawn(process.execPath, [...(process.env.SERVE_BENCH_NODE_FLAGS ? process.env.SERVE_BENCH_NODE_FLAGS.split(' ') : []), BIN, 'serve', '--tasks', p.tasks, '--images', p.images, '--image-list', p.list, '--synsets', p.synsets,
    '--db', db, '--port', '0', '--json', '--overlap', '5'], { stdio: ['ignore', 'pipe', 'inherit'] });
  return new Promise((resolve, reject) => {
    readline.createInterface({ input: child.stdout }).once('line', (l) => resolve({ child, ...JSON.parse(l) }));
    child.once('exit', (c) => reject(new Error(`serve exited ${c}`)));
  });
}

async function http(tmp) {
  const NUM_IMAGES = 50;
  const p = project(tmp, 40000, NUM_IMAGES);
  await makeImages(p.images, NUM_IMAGES);
  const { child, url, admin_token: admin } = await startServer(p, path.join(tmp, 'http.sqlite'));
  try {
    const tokens = [];
    for (let i = 0; i < 64; i++) {
      const r = await fetch(`${url}/api/raters`, { method: 'POST', headers: { authorization: `Bearer ${admin}`, 'content-type': 'application/json' }, body: JSON.stringify({ name: `r${i}` }) });
      tokens.push((await r.json()).token);
    }
    for (let i = 0; i < NUM_IMAGES; i++) await (await fetch(`${url}/images/${i}`)).arrayBuffer(); // warm the cache
    const cpu0 = cpuMs(child.pid);
    let submitted = 0;
    let refused = 0;
    let nextToken = 0;
    const rate = autocannon({
      url, connections: tokens.length, duration: SECONDS,
      requests: [
        {
          method: 'GET', path: '/api/next',
          setupRequest: (req, ctx) => {
            if (!ctx.token) ctx.token = tokens[nextToken++ % tokens.length];
            return { ...req, headers: { authorization: `Bearer ${ctx.token}` } };
          },
          onResponse: (status, body, ctx) => {
            ctx.task = status === 200 ? JSON.parse(body) : null;
          },
        },
        {
          method: 'POST', path: '/api/answers',
          setupRequest: (req, ctx) => {
            const t = ctx.task;
            const body = t ? { assignment: t.assignment, answers: t.labels.map((l) => ({ label: l.label, answer: 'no', changed: true })), ms: 2500 } : { assignment: 'none', answers: [{ label: 0, answer: 'no' }] };
            return { ...req, headers: { authorization: `Bearer ${ctx.token}`, 'content-type': 'application/json' }, body: JSON.stringify(body) };
          },
          onResponse: (status) => {
            if (status === 200) submitted++;
            else refused++;
          },
        },
      ],
    });
    let image = 0;
    const images = autocannon({
      url, connections: 8, duration: SECONDS,
      requests: [{ method: 'GET', setupRequest: (req) => ({ ...req, path: `/images/${image++ % NUM_IMAGES}` }) }],
    });
    const [r, im] = await Promise.all([rate, images]);
    const serverCpu = cpuMs(child.pid) - cpu0;
    return {
      server_cpu_ms: serverCpu,
      // Independent of how loaded the machine is: what one server core would sustain.
      submissions_per_server_cpu_s: +(submitted / (serverCpu / 1000)).toFixed(0),
      rater_requests_per_server_cpu_s: +((r.requests.total) / (serverCpu / 1000)).toFixed(0),
      seconds: SECONDS,
      rater_connections: tokens.length,
      image_connections: 8,
      submissions_per_s: +(submitted / SECONDS).toFixed(0),
      refused_submissions: refused,
      rater_requests_per_s: r.requests.average,
      rater_latency_ms: { p50: r.latency.p50, p90: r.latency.p90, p99: r.latency.p99, max: r.latency.max },
      rater_non_2xx: r.non2xx,
      images_per_s: im.requests.average,
      image_latency_ms: { p50: im.latency.p50, p99: im.latency.p99 },
      image_mb_per_s: +(im.throughput.average / 2 ** 20).toFixed(1),
    };
  } finally {
    process.kill(child.pid, 'SIGTERM');
    await new Promise((res) => (child.exitCode !== null ? res() : child.once('exit', res)));
  }
}

/** A database with `n` answers: n / 15 tasks of 3 labels, 5 raters each (written directly, not through HTTP). */
function bigDb(file, n) {
  const db = openDb(file);
  const numTasks = Math.ceil(n / 15);
  const tasks = Array.from({ length: numTasks }, (_, i) => ({ name: `${i}-0`, image: i, labels: [i % 10, (i + 3) % 10, (i + 6) % 10].sort((a, b) => a - b) }));
  importTasks(db, 'bench', tasks, 'bench', 5, false);
  const raters = Array.from({ length: 40 }, (_, i) => addRater(db, `r${i}`).id);
  const asg = db.prepare('INSERT INTO assignments (token, task_id, rater_id, state, leased_at, expires_at, submitted_at, ms) VALUES (?, ?, ?, 1, 0, 1, 1, 2500)');
  const ans = db.prepare('INSERT INTO answers (assignment_id, task_id, rater_id, label, answer, changed, at) VALUES (?, ?, ?, ?, ?, 1, 1)');
  let count = 0;
  db.transaction(() => {
    for (let t = 0; t < numTasks && count < n; t++) {
      for (let k = 0; k < 5 && count < n; k++) {
        const rater = raters[(t * 7 + k * 3) % raters.length];
        const id = Number(asg.run(`a${t}-${k}`, t + 1, rater).lastInsertRowid);
        for (const l of tasks[t].labels) {
          if (count >= n) break;
          ans.run(id, t + 1, rater, l, (t * 31 + k * 7 + l) % 3);
          count++;
        }
      }
    }
  })();
  db.close();
  return count;
}

function exportBench(tmp) {
  const N = 1_000_000;
  const file = path.join(tmp, 'export.sqlite');
  const t0 = process.hrtime.bigint();
  const answers = bigDb(file, N);
  const fill = Number(process.hrtime.bigint() - t0) / 1e6;
  const out = {};
  for (const format of ['csv', 'jsonl', 'raters-npz', 'label-studio']) {
    const ext = { csv: 'csv', jsonl: 'jsonl', 'raters-npz': 'npz', 'label-studio': 'json' }[format];
    const target = path.join(tmp, `export.${ext}`);
    const times = [];
    const runs = format === 'csv' ? 3 : 1;
    for (let i = 0; i < runs; i++) {
      const db = openDb(file, { readonly: true });
      const s = process.hrtime.bigint();
      exportToFiles(db, { format, out: target });
      times.push(Number(process.hrtime.bigint() - s) / 1e6);
      db.close();
    }
    const cli = [];
    for (let i = 0; i < runs; i++) {
      const s = process.hrtime.bigint();
      const r = spawnSync(process.execPath, [BIN, 'serve', 'export', '--db', file, '--format', format, '--out', target], { encoding: 'utf8' });
      if (r.status !== 0) throw new Error(r.stderr);
      cli.push(Number(process.hrtime.bigint() - s) / 1e6);
    }
    out[format] = { in_process_ms: +median(times).toFixed(0), command_ms: +median(cli).toFixed(0), runs, bytes: fs.statSync(target).size };
  }
  return { answers, fill_ms: +fill.toFixed(0), formats: out };
}

/** Simulated raters answering every task they are leased, through the same store and assignment as the server. */
async function simulateOverlap(tmp, name, { adaptive, overlap }, world) {
  const db = openDb(path.join(tmp, `${name}.sqlite`));
  importTasks(db, name, world.tasks, name, adaptive ? adaptive.min : overlap, false);
  const raters = world.raters.map((_, i) => addRater(db, `sim${i}`));
  const assigner = new Assigner(db, { leaseMs: 3_600_000, goldRate: 0 });
  const rng = new Rng(world.seed + 1);
  const raise = db.prepare('UPDATE tasks SET target = target + 1 WHERE id = ? AND done >= target AND target < ?');
  let rounds = 0;
  for (;;) {
    rounds++;
    // Raters take turns until nobody can get a task.
    for (let progress = true; progress;) {
      progress = false;
      for (let r = 0; r < raters.length; r++) {
        const lease = assigner.next(raters[r]);
        if (!lease) continue;
        progress = true;
        const answers = lease.labels.map((l) => ({ label: l, answer: ['no', 'maybe', 'yes'][answer(world.raters[r], world.present.has(`${lease.image}:${l}`), rng)] }));
        assigner.submit(raters[r], lease.assignment, answers, 2000);
      }
    }
    if (!adaptive) break;
    const q = await qualityOf(db, adaptive);
    let raised = 0;
    db.transaction(() => {
      for (const id of q.in_band_tasks) raised += raise.run(id, adaptive.max).changes;
    })();
    if (!raised) break;
  }
  const rows = db.prepare('SELECT t.image, a.label, a.rater_id, a.answer FROM answers a JOIN tasks t ON t.id = a.task_id').all();
  db.close();
  // Final labels: Dawid–Skene (as `aggregate --method ds`) on all answers.
  const qIndex = new Map();
  const question = new Int32Array(rows.length);
  rows.forEach((r, i) => {
    const k = `${r.image}:${r.label}`;
    if (!qIndex.has(k)) qIndex.set(k, qIndex.size);
    question[i] = qIndex.get(k);
  });
  const agg = await aggregate({
    answers: { question, worker: Int32Array.from(rows, (r) => r.rater_id - 1), answer: Int32Array.from(rows, (r) => r.answer), numQuestions: qIndex.size, numWorkers: raters.length },
    method: 'ds', smoothing: 0.01,
  });
  let tp = 0;
  let fp = 0;
  let fn = 0;
  for (const [k, q] of qIndex) {
    const yes = agg.posterior[q] >= 0.5;
    const truth = world.present.has(k);
    if (yes && truth) tp++;
    else if (yes) fp++;
    else if (truth) fn++;
  }
  return { answers: rows.length, answers_per_question: +(rows.length / qIndex.size).toFixed(2), rounds, precision: +(tp / (tp + fp)).toFixed(4), recall: +(tp / (tp + fn)).toFixed(4) };
}

async function adaptiveBench(tmp) {
  const seed = 7;
  const rng = new Rng(seed);
  const numTasks = 3000;
  const tasks = [];
  const present = new Set();
  for (let i = 0; i < numTasks; i++) {
    const labels = [i % 10, (i + 3) % 10, (i + 6) % 10].sort((a, b) => a - b);
    tasks.push({ name: `${i}-0`, image: i, labels });
    // ReaL's rated pairs: about a third are labels of the image.
    for (const l of labels) if (rng.next() < 0.33) present.add(`${i}:${l}`);
  }
  const world = { tasks, present, raters: drawRaters(40, rng), seed };
  const fixed = await simulateOverlap(tmp, 'fixed', { overlap: 5 }, world);
  const adaptive = await simulateOverlap(tmp, 'adaptive', { adaptive: { min: 3, max: 7, band: [0.2, 0.8] } }, world);
  const wide = await simulateOverlap(tmp, 'adaptive-wide', { adaptive: { min: 3, max: 7, band: [0.05, 0.95] } }, world);
  const f1 = (r) => +((2 * r.precision * r.recall) / (r.precision + r.recall)).toFixed(4);
  for (const r of [fixed, adaptive, wide]) r.f1 = f1(r);
  return {
    tasks: numTasks, questions: numTasks * 3, raters: 40, present: present.size,
    fixed_5: fixed, adaptive_3_7_band_02_08: adaptive, adaptive_3_7_band_005_095: wide,
    answers_saved: +(1 - adaptive.answers / fixed.answers).toFixed(4), answers_saved_wide: +(1 - wide.answers / fixed.answers).toFixed(4),
  };
}

async function main() {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'realabel-serve-bench-'));
  try {
    const only = process.argv[2];
    const result = { machine: { cpus: os.cpus().length, load: os.loadavg().map((x) => +x.toFixed(2)) } };
    if (!only || only === 'http') result.http = await http(tmp);
    if (!only || only === 'export') result.export = exportBench(tmp);
    if (!only || only === 'adaptive') result.adaptive = await adaptiveBench(tmp);
    console.log(JSON.stringify(result, null, 2));
    if (!only) fs.writeFileSync(path.join(__dirname, 'results', 'serve.json'), `${JSON.stringify(result, null, 2)}\n`);
  } finally {
    fs.rmSync(tmp, { recursive: true, force: true });
  }
}

main().catch((err) => {
  console.error(err);
  process.exitCode = 1;
});
