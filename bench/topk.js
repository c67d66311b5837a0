#!/usr/bin/env node
// Exact top-K on a generated 50,000 x 1,000 float32 logits matrix, K = 150,000:
// the native read pass (a sum over the matrix, the physical limit), native
// `logit` and `prob` selection, the pure-TypeScript twin, and numpy
// (argpartition on the flattened matrix; log-softmax + argpartition) timed
// inside python3 when numpy is importable. Medians; ratios in a table.
// Run `npx tsc -p tsconfig.json` and the native build first.
// Writes bench/results/topk.json. BENCH_TOPK_N / BENCH_TOPK_K shrink it.
'use strict';
const { median, summarize } = require('./lib/stats');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { spawnSync } = require('node:child_process');
const Benchmark = require('benchmark');

const root = path.join(__dirname, '..');
// The sync form: benchmark.js times the kernel itself, not a worker round trip.
const { topkSync: topk } = require(path.join(root, 'dist', 'topk', 'topk'));
const { nativeAddon } = require(path.join(root, 'dist', 'native', 'addon'));

const N = Number(process.env.BENCH_TOPK_N || 50000);
const C = 1000;
const K = Number(process.env.BENCH_TOPK_K || 150000);
const addon = nativeAddon();
if (!addon) {
  console.log('skipping: the native addon is not built (node scripts/build-native.js)');
  process.exit(0);
}

// Logit-like rows: noise around 0 plus one confident class per row (seeded).
function makeLogits(n, c, seed) {
  let s = seed >>> 0;
  const next = () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const d = new Float32Array(n * c);
  for (let i = 0; i < d.length; i++) d[i] = (next() + next() + next() - 1.5) * 2;
  for (let r = 0; r < n; r++) d[r * c + Math.floor(next() * c)] += 8;
  return d;
}


// numpy's timings, and whether native `prob` picks exactly the pairs, order and
// values of numpy's float64 log-softmax (stable order: key desc, flat index asc).
function numpyTimings(data, probPairs) {
  const probe = spawnSync('python3', ['-c', 'import numpy'], { encoding: 'utf8' });
  if (probe.status !== 0) return { skipped: 'python3 with numpy not available' };
  const file = path.join(os.tmpdir(), `realabel-bench-topk-${process.pid}.f32`);
  const pairsFile = `${file}.pairs`;
  fs.writeFileSync(file, Buffer.from(data.buffer, data.byteOffset, data.byteLength));
  const flat = new Float64Array(K);
  for (let i = 0; i < K; i++) flat[i] = probPairs.image[i] * C + probPairs.label[i];
  fs.writeFileSync(pairsFile, Buffer.concat([Buffer.from(flat.buffer), Buffer.from(probPairs.value.buffer, probPairs.value.byteOffset, probPairs.value.byteLength)]));
  const script = `
import json, sys, time
import numpy as np
n, c, k, reps = int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5])
x = np.fromfile(sys.argv[1], dtype='<f4').reshape(n, c)
def med(f):
    ts = []
    for _ in range(reps):
        t0 = time.perf_counter(); f(); ts.append((time.perf_counter() - t0) * 1000)
    return float(np.median(ts))
flat = x.ravel()
def logit():
    return np.argpartition(flat, flat.size - k)[-k:]
def logit_sorted():
    i = np.argpartition(flat, flat.size - k)[-k:]
    return i[np.argsort(-flat[i], kind='stable')]
def prob():
    m = x.max(axis=1, keepdims=True)
    lp = x - (m + np.log(np.exp(x - m).sum(axis=1, keepdims=True)))
    f = lp.ravel()
    return np.argpartition(f, f.size - k)[-k:]
x64 = x.astype(np.float64)
m64 = x64.max(axis=1, keepdims=True)
lp = (x64 - (m64 + np.log(np.exp(x64 - m64).sum(axis=1, keepdims=True)))).ravel()
kth = -np.partition(-lp, k - 1)[k - 1]
cand = np.flatnonzero(lp >= kth)
top = cand[np.lexsort((cand, -lp[cand]))][:k]
raw = np.fromfile(sys.argv[6], dtype='<u1')
ours = raw[:8 * k].view('<f8').astype(np.int64)
vals = raw[8 * k:].view('<f4')
print(json.dumps({'numpy': np.__version__, 'argpartition_ms': med(logit),
                  'argpartition_sorted_ms': med(logit_sorted), 'logsoftmax_argpartition_ms': med(prob),
                  'prob_same_pairs_and_order_as_float64_logsoftmax': bool(np.array_equal(ours, top)),
                  'prob_values_equal_float32_of_exp': bool(np.array_equal(vals, np.exp(lp[top]).astype(np.float32)))}))
`;
  const env = { ...process.env };
  delete env.OPENBLAS_CORETYPE;
  delete env.OPENBLAS_L2_SIZE;
  try {
    const res = spawnSync('python3', ['-c', script, file, String(N), String(C), String(K), '7', pairsFile], { encoding: 'utf8', env });
    if (res.status !== 0) return { skipped: `python3 failed: ${res.stderr.trim().split('\n').pop()}` };
    return JSON.parse(res.stdout);
  } finally {
    fs.rmSync(file, { force: true });
    fs.rmSync(pairsFile, { force: true });
  }
}

console.log(`generating ${N} x ${C} float32 logits, K = ${K} ...`);
const data = makeLogits(N, C, 20260);

// The twin and native must agree before their times mean anything.
for (const criterion of ['logit', 'prob']) {
  const a = topk(data, N, C, K, { criterion, backend: 'native' });
  const b = topk(data, N, C, K, { criterion, backend: 'ts' });
  const same = ['image', 'label', 'value'].every((f) => Buffer.from(a[f].buffer).equals(Buffer.from(b[f].buffer)));
  if (!same) throw new Error(`native and twin disagree on ${criterion}`);
}

// Load on a shared machine drifts between benchmark.js suites; timing the
// three native runs back to back in rounds gives steadier ratios.
function interleaved(rounds) {
  const time = (f) => {
    const t0 = performance.now();
    f();
    return performance.now() - t0;
  };
  const runs = [];
  for (let i = 0; i < rounds; i++) {
    runs.push({
      read: time(() => addon.sumF32(data, 0)),
      logit: time(() => topk(data, N, C, K, { criterion: 'logit', backend: 'native' })),
      prob: time(() => topk(data, N, C, K, { criterion: 'prob', backend: 'native' })),
    });
  }
  const med = (f) => +median(runs.map(f)).toFixed(2);
  return {
    rounds,
    median_ms: { read: med((r) => r.read), logit: med((r) => r.logit), prob: med((r) => r.prob) },
    ratios: { logit_over_read: med((r) => r.logit / r.read), prob_over_logit: med((r) => r.prob / r.logit) },
  };
}

const fast = { minSamples: 15, maxTime: 4 };
const slow = { minSamples: 3, maxTime: 1 };
const rows = [];
const suite = new Benchmark.Suite('topk');
suite
  .add('native read pass (sumF32)', () => addon.sumF32(data, 0), fast)
  .add('native topk logit', () => topk(data, N, C, K, { criterion: 'logit', backend: 'native' }), fast)
  .add('native topk prob', () => topk(data, N, C, K, { criterion: 'prob', backend: 'native' }), fast)
  .add('ts twin topk logit', () => topk(data, N, C, K, { criterion: 'logit', backend: 'ts' }), slow)
  .add('ts twin topk prob', () => topk(data, N, C, K, { criterion: 'prob', backend: 'ts' }), slow)
  .on('cycle', (e) => {
    const b = e.target;
    rows.push({ name: b.name, ...summarize(b) });
    console.log(String(b));
  })
  .on('complete', () => {
    const ms = Object.fromEntries(rows.map((r) => [r.name, r.median_ms]));
    const np = numpyTimings(data, topk(data, N, C, K, { criterion: 'prob', backend: 'native' }));
    const rounds = interleaved(15);
    const read = ms['native read pass (sumF32)'];
    const logit = ms['native topk logit'];
    const prob = ms['native topk prob'];
    const ratios = {
      logit_over_read: +(logit / read).toFixed(2),
      prob_over_logit: +(prob / logit).toFixed(2),
      ts_over_native_logit: +(ms['ts twin topk logit'] / logit).toFixed(1),
      ts_over_native_prob: +(ms['ts twin topk prob'] / prob).toFixed(1),
    };
    if (!np.skipped) {
      ratios.numpy_argpartition_over_native_logit = +(np.argpartition_ms / logit).toFixed(1);
      ratios.numpy_logsoftmax_argpartition_over_native_prob = +(np.logsoftmax_argpartition_ms / prob).toFixed(1);
    }
    const table = [
      ['native read pass (sum)', read, '1.00x read'],
      ['native logit', logit, `${ratios.logit_over_read}x read (target <= 3, goal 1.5)`],
      ['native prob', prob, `${ratios.prob_over_logit}x logit (target <= 2)`],
      ['TS twin logit', ms['ts twin topk logit'], `${ratios.ts_over_native_logit}x native (target >= 10)`],
      ['TS twin prob', ms['ts twin topk prob'], `${ratios.ts_over_native_prob}x native`],
    ];
    if (np.skipped) {
      table.push(['numpy', NaN, np.skipped]);
    } else {
      table.push(['numpy argpartition', np.argpartition_ms, `${ratios.numpy_argpartition_over_native_logit}x native logit`]);
      table.push(['numpy argpartition + sort K', np.argpartition_sorted_ms, '']);
      table.push(['numpy log-softmax + argpartition', np.logsoftmax_argpartition_ms, `${ratios.numpy_logsoftmax_argpartition_over_native_prob}x native prob`]);
    }
    console.log(`\n${N} x ${C} float32, K = ${K}, threads = all (${os.cpus().length}); medians:`);
    for (const [name, v, note] of table) console.log(`  ${name.padEnd(34)} ${Number.isNaN(v) ? '      -' : v.toFixed(1).padStart(8)} ms  ${note}`);
    if (!np.skipped) {
      console.log(
        `native prob vs numpy float64 log-softmax: same pairs and order ${np.prob_same_pairs_and_order_as_float64_logsoftmax}, ` +
          `values equal np.float32(exp) ${np.prob_values_equal_float32_of_exp}`,
      );
    }
    const im = rounds.median_ms;
    console.log(
      `interleaved (${rounds.rounds} rounds of read, logit, prob): ${im.read} / ${im.logit} / ${im.prob} ms; ` +
        `logit/read ${rounds.ratios.logit_over_read.toFixed(2)}, prob/logit ${rounds.ratios.prob_over_logit.toFixed(2)} (medians of per-round ratios)`,
    );
    const out = {
      date: new Date().toISOString(),
      node: process.version,
      cpus: `${os.cpus().length} x ${os.cpus()[0]?.model ?? '?'}`,
      simd: ['', 'scalar', 'avx2', 'avx512'][addon.topkIsa()],
      loadavg: os.loadavg().map((x) => +x.toFixed(2)),
      note: 'shared 2-core machine, other jobs running; medians of benchmark.js samples (numpy: median of 7 runs inside python)',
      shape: [N, C],
      k: K,
      results: rows,
      numpy: np,
      ratios,
      interleaved: rounds,
    };
    fs.mkdirSync(path.join(__dirname, 'results'), { recursive: true });
    fs.writeFileSync(path.join(__dirname, 'results', 'topk.json'), `${JSON.stringify(out, null, 2)}\n`);
  })
  .run();
