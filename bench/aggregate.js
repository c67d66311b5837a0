#!/usr/bin/env node
// Crowd aggregation on the ReaL votes (raters.npz: 924,810 answers, 85 raters,
// 184,962 questions), side by side in one run:
//   - Dawid–Skene EM, median ms per iteration: native (all threads, 1 thread),
//     the pure-TypeScript twin, and a vectorised NumPy EM of the same model
//     and start (bench/ds_numpy.py; skipped without python3 + numpy). Per
//     iteration = (time of N+1 iterations - time of 1) / N, so the one-off
//     setup (majority vote, grouping) is not counted;
//   - gold-calibrated scoring of raters.npz once loaded, native and twin
//     (benchmark.js);
//   - the whole `realabel reproduce-real` command: wall time and peak RSS.
// Run `npx tsc -p tsconfig.json` and build the addon first. Writes
// bench/results/aggregate.json. REALABEL_BENCH_QUICK=1 runs fewer repeats.
'use strict';
const { summarize } = require('./lib/stats');
const { spawnSync } = require('node:child_process');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const Benchmark = require('benchmark');

const root = path.join(__dirname, '..');
const dist = (m) => require(path.join(root, 'dist', m));
const { readAnswers } = dist('io/answers');
const { dawidSkene } = dist('aggregate/ds');
const { goldScoreSync: goldScore } = dist('aggregate/gold');
const { modeSpec } = dist('aggregate/problem');
const { expertTruth, alignTruth, questionPairs, originalLabelAnswers, readOriginalLabels, ANIMAL_CLASSES } = dist('aggregate/real');
const { withKnownWorkers } = dist('io/answers');
const { hasNative } = dist('native/addon');

const data = process.env.REALABEL_DATA || path.join(root, '..', 'shared', 'data');
const real = path.join(data, 'reassessed-imagenet');
const originalFile = path.join(data, 'imagenet-val', 'imagenet_val_original_labels.npy');
if (!fs.existsSync(path.join(real, 'raters.npz'))) {
  console.log(`skipping: ${real}/raters.npz not found`);
  process.exit(0);
}
const QUICK = process.env.REALABEL_BENCH_QUICK === '1';
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

function perIteration(answers, backend, threads, iters, repeats) {
  const time = (n) => {
    const t = performance.now();
    const r = dawidSkene(answers, { backend, threads, tol: 0, maxIter: n });
    return { ms: performance.now() - t, r };
  };
  const samples = [];
  let last;
  for (let i = 0; i < repeats; i++) {
    const one = time(1).ms;
    const many = time(iters + 1);
    last = many.r;
    samples.push((many.ms - one) / iters);
  }
  return { ms_per_iter: +median(samples).toFixed(3), samples: samples.map((s) => +s.toFixed(3)), iterations: iters, log_likelihood: last.logLikelihood[iters] };
}

function numpyEm(iters, repeats) {
  const probe = spawnSync('python3', ['-c', 'import numpy'], { encoding: 'utf8' });
  if (probe.status !== 0) return { skipped: 'python3 with numpy not found' };
  const r = spawnSync('python3', [path.join(__dirname, 'ds_numpy.py'), path.join(real, 'raters.npz'), String(iters), String(repeats)], { encoding: 'utf8', maxBuffer: 1 << 24 });
  if (r.status !== 0) return { skipped: `ds_numpy.py failed: ${r.stderr.trim().split('\n').pop()}` };
  const j = JSON.parse(r.stdout);
  return { ms_per_iter: +j.ms_per_iter.toFixed(3), samples: j.all_ms_per_iter.map((s) => +s.toFixed(3)), iterations: j.iterations, log_likelihood: j.log_likelihood, numpy: j.numpy };
}

function reproduceRun() {
  const out = fs.mkdtempSync(path.join(os.tmpdir(), 'realabel-bench-real-'));
  const args = [path.join(root, 'bin', 'realabel.js'), 'reproduce-real', '--data', real, '--original', originalFile, '--out', out, '--json'];
  const timeBin = fs.existsSync('/usr/bin/time') ? '/usr/bin/time' : null;
  const t = performance.now();
  const r = timeBin ? spawnSync(timeBin, ['-v', process.execPath, ...args], { encoding: 'utf8' }) : spawnSync(process.execPath, args, { encoding: 'utf8' });
  const wall = performance.now() - t;
  fs.rmSync(out, { recursive: true, force: true });
  if (r.status !== 0) throw new Error(`reproduce-real failed: ${r.stderr}`);
  const rss = timeBin ? Number(/Maximum resident set size \(kbytes\): (\d+)/.exec(r.stderr)[1]) / 1024 : null;
  const summary = JSON.parse(r.stdout);
  return { wall_ms: +wall.toFixed(0), peak_rss_mb: rss && +rss.toFixed(0), rss_from: timeBin ? '/usr/bin/time -v' : 'unavailable', timings_ms: summary.timings_ms, agreement: summary.agreement };
}

async function main() {
  const answers = await readAnswers(path.join(real, 'raters.npz'));
  const [experts, gold0] = await Promise.all([readAnswers(path.join(real, 'golden.npz')), readAnswers(path.join(real, 'raters_golden.npz'))]);
  const gold = withKnownWorkers(gold0, answers.workers);
  const original = readOriginalLabels(originalFile);
  const spec = modeSpec('verification', answers.alphabet);
  const t3 = alignTruth(gold, experts.tasks, expertTruth(experts, 3), experts.file);
  const t2 = alignTruth(gold, experts.tasks, expertTruth(experts, 2), experts.file);
  const pseudo = {
    name: 'original-label',
    main: originalLabelAnswers(questionPairs(answers), original, 3, ANIMAL_CLASSES),
    gold: originalLabelAnswers(questionPairs(gold), original, 3),
    truth: t2,
  };
  const score = (backend) => goldScore({ answers, gold, truth: t3, spec, pseudoRaters: [pseudo], backend });

  const repeats = QUICK ? 3 : 5;
  const em = {};
  if (hasNative()) {
    em.native = { threads: os.availableParallelism(), ...perIteration(answers, 'native', 0, 100, repeats) };
    em.native_1_thread = { threads: 1, ...perIteration(answers, 'native', 1, 100, repeats) };
  }
  em.ts_twin = perIteration(answers, 'ts', 0, QUICK ? 5 : 10, 3);
  em.numpy = numpyEm(20, 3);
  const llCheck = {};
  // Same model and start: the log-likelihood after the same number of iterations.
  if (em.native) llCheck.native_vs_twin_after_11 = { native: dawidSkene(answers, { tol: 0, maxIter: 11 }).logLikelihood[10], twin: em.ts_twin.log_likelihood };
  if (em.native && em.numpy.log_likelihood !== undefined) llCheck.native_vs_numpy_after_20 = { native: dawidSkene(answers, { tol: 0, maxIter: 20 }).logLikelihood[19], numpy: em.numpy.log_likelihood };
  for (const [k, v] of Object.entries(em)) console.log(`DS EM ${k}: ${v.ms_per_iter ?? v.skipped} ms/iteration`);

  const suite = new Benchmark.Suite('aggregate');
  const opts = { minSamples: QUICK ? 5 : 10, maxTime: QUICK ? 1 : 2 };
  if (hasNative()) suite.add('gold scoring of raters.npz once loaded (native)', () => score('native'), opts);
  suite.add('gold scoring of raters.npz once loaded (ts twin)', () => score('ts'), opts);
  const results = [];
  await new Promise((resolve) => {
    suite
      .on('cycle', (e) => {
        console.log(String(e.target));
        results.push({ name: e.target.name, ...summarize(e.target) });
      })
      .on('complete', resolve)
      .run();
  });
  const reproduce = [reproduceRun(), reproduceRun(), reproduceRun()].sort((a, b) => a.wall_ms - b.wall_ms)[1];
  console.log(`reproduce-real: ${reproduce.wall_ms} ms wall, ${reproduce.peak_rss_mb} MB peak RSS`);
  const ratio = (a, b) => (a && b && a.ms_per_iter && b.ms_per_iter ? +(b.ms_per_iter / a.ms_per_iter).toFixed(1) : null);
  const out = {
    date: new Date().toISOString(),
    node: process.version,
    cpus: `${os.cpus().length} x ${os.cpus()[0]?.model ?? '?'}`,
    load_average: os.loadavg().map((x) => +x.toFixed(2)),
    note: 'shared machine: other jobs run at the same time, so absolute times vary between runs',
    data: { answers: answers.question.length, raters: answers.numWorkers, questions: answers.numQuestions },
    ds_em_ms_per_iteration: em,
    speedup: { native_vs_numpy: ratio(em.native, em.numpy), native_vs_twin: ratio(em.native, em.ts_twin), native_1_thread_vs_numpy: ratio(em.native_1_thread, em.numpy) },
    log_likelihood_check: llCheck,
    results,
    reproduce_real: reproduce,
  };
  fs.mkdirSync(path.join(__dirname, 'results'), { recursive: true });
  fs.writeFileSync(path.join(__dirname, 'results', 'aggregate.json'), `${JSON.stringify(out, null, 2)}\n`);
  console.log(JSON.stringify(out.speedup));
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
