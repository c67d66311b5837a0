#!/usr/bin/env node
// Event-loop benchmark: what a Node service feels while realabel works.
// Run `node scripts/build-native.js && npx tsc -p tsconfig.json` first.
// 1. p99 and max event-loop delay (perf_hooks.monitorEventLoopDelay, 1 ms
//    resolution) while propose + aggregate (ds) + evaluate run on M models of
//    [N, C] float32 logits in memory, with the async API and, for contrast,
//    the ...Sync variants on the main thread.
// 2. Throughput of 8 `evaluate` calls (one model each) started together
//    (Promise.all) against the same 8 awaited one after another.
// Flags: --images N (50000), --classes C (1000), --models M (4), --reps R (3).
// Writes bench/results/eventloop.json.
'use strict';
const fs = require('node:fs');
const path = require('node:path');
const { monitorEventLoopDelay } = require('node:perf_hooks');
const { median } = require('./lib/stats');

const root = path.join(__dirname, '..');
const dist = (m) => require(path.join(root, 'dist', m));
const { propose, proposeSync } = dist('propose/propose');
const { evaluate, evaluateSync } = dist('evaluate/evaluate');
const { aggregate } = dist('aggregate/aggregate');
const { hasNative } = dist('native/addon');

const argv = process.argv.slice(2);
const flag = (name, dflt) => {
  const i = argv.indexOf(name);
  return i < 0 ? dflt : Number(argv[i + 1]);
};
const N = flag('--images', 50000);
const C = flag('--classes', 1000);
const M = flag('--models', 4);
const REPS = flag('--reps', 3);
const CALLS = 8;

/** Logits with a signal on the true label of ~80% of images (xorshift noise); as test/helpers/service-load.ts. */
function load() {
  let s = 12345;
  const u = () => ((s = (Math.imul(s, 48271) >>> 0) % 2147483647) / 2147483647);
  const truth = Int32Array.from({ length: N }, () => Math.floor(u() * C));
  const original = Int32Array.from(truth, (t) => (u() < 0.05 ? (t + 1) % C : t));
  const logits = Array.from({ length: M }, (_, m) => {
    const data = new Float32Array(N * C);
    let x = (m * 104729 + 7919) >>> 0;
    for (let i = 0; i < data.length; i++) {
      x ^= x << 13;
      x ^= x >>> 17;
      x ^= x << 5;
      data[i] = ((x >>> 0) / 4294967296) * 4;
    }
    for (let i = 0; i < N; i++) if (u() < 0.8) data[i * C + truth[i]] += 3;
    return data;
  });
  return { truth, original, logits };
}

/** Three raters per proposed pair: yes to a true label 90% of the time, to a wrong one 5%. */
function rate(p, truth) {
  let s = 99;
  const u = () => ((s = (Math.imul(s, 48271) >>> 0) % 2147483647) / 2147483647);
  const Q = p.image.length;
  const question = new Int32Array(3 * Q);
  const worker = new Int32Array(3 * Q);
  const answer = new Int32Array(3 * Q);
  for (let q = 0; q < Q; q++) {
    const present = truth[p.image[q]] === p.label[q];
    for (let w = 0; w < 3; w++) {
      question[3 * q + w] = q;
      worker[3 * q + w] = (q + w) % 7;
      answer[3 * q + w] = u() < (present ? 0.9 : 0.05) ? 2 : 0;
    }
  }
  return { question, worker, answer, image: p.image, label: p.label };
}

/** Runs `work` under an event-loop delay histogram; delays in ms. */
async function watched(work) {
  const h = monitorEventLoopDelay({ resolution: 1 });
  h.enable();
  const t0 = performance.now();
  const result = await work();
  const ms = performance.now() - t0;
  h.disable();
  return { result, ms, p99: h.percentile(99) / 1e6, max: h.max / 1e6 };
}

/** propose + aggregate + evaluate; `sync`: the ...Sync variants where they exist (aggregate is async only). */
async function pipeline(L, sync) {
  const { logits, original, truth } = L;
  const p = sync ? proposeSync({ logits, n: N, c: C, original }) : await propose({ logits, n: N, c: C, original });
  const agg = await aggregate({ method: 'ds', answers: rate(p, truth), original });
  const predictions = logits.map((scores) => ({ scores, numClasses: C }));
  const opts = { labels: agg.sets, original, predictions };
  const e = sync ? evaluateSync(opts) : await evaluate(opts);
  return { pairs: p.image.length, realTop1: e.models.map((m) => +m.realTop1.toFixed(4)) };
}

async function main() {
  process.stdout.write(`eventloop: ${M} models of [${N}, ${C}] float32, native ${hasNative() ? 'yes' : 'no'}, ${REPS} reps\n`);
  const L = load();
  const runs = { async: [], sync: [] };
  let check;
  for (let r = 0; r < REPS; r++) {
    for (const mode of ['async', 'sync']) {
      const w = await watched(() => pipeline(L, mode === 'sync'));
      runs[mode].push(w);
      check ??= w.result;
      process.stdout.write(`  ${mode.padEnd(5)} rep ${r + 1}: ${w.ms.toFixed(0)} ms, event-loop delay p99 ${w.p99.toFixed(1)} ms, max ${w.max.toFixed(1)} ms\n`);
    }
  }
  const summary = (ws) => ({
    median_ms: +median(ws.map((w) => w.ms)).toFixed(1),
    p99_delay_ms: +median(ws.map((w) => w.p99)).toFixed(2),
    max_delay_ms: +median(ws.map((w) => w.max)).toFixed(2),
  });

  const labels = (await aggregate({ method: 'ds', answers: rate(await propose({ logits: L.logits, n: N, c: C, original: L.original }), L.truth), original: L.original })).sets;
  const one = (m) => evaluate({ labels, original: L.original, predictions: [{ scores: L.logits[m % M], numClasses: C }] });
  const seq = [];
  const conc = [];
  for (let r = 0; r < REPS; r++) {
    let t0 = performance.now();
    for (let i = 0; i < CALLS; i++) await one(i);
    seq.push(performance.now() - t0);
    t0 = performance.now();
    await Promise.all(Array.from({ length: CALLS }, (_, i) => one(i)));
    conc.push(performance.now() - t0);
    process.stdout.write(`  ${CALLS} evaluate calls, rep ${r + 1}: sequential ${seq[r].toFixed(0)} ms, concurrent ${conc[r].toFixed(0)} ms\n`);
  }
  const seqMs = median(seq);
  const concMs = median(conc);
  const result = {
    when: new Date().toISOString(),
    native: hasNative(),
    images: N, classes: C, models: M, reps: REPS,
    pipeline: { pairs: check.pairs, real_top1: check.realTop1, async: summary(runs.async), sync: summary(runs.sync) },
    evaluate_calls: {
      calls: CALLS,
      sequential_median_ms: +seqMs.toFixed(1),
      concurrent_median_ms: +concMs.toFixed(1),
      sequential_calls_per_s: +((CALLS * 1000) / seqMs).toFixed(2),
      concurrent_calls_per_s: +((CALLS * 1000) / concMs).toFixed(2),
      speedup: +(seqMs / concMs).toFixed(2),
    },
  };
  const a = result.pipeline.async;
  const s = result.pipeline.sync;
  process.stdout.write(
    `propose + aggregate + evaluate: async ${a.median_ms} ms (p99 delay ${a.p99_delay_ms} ms, max ${a.max_delay_ms} ms); ` +
      `sync ${s.median_ms} ms (p99 delay ${s.p99_delay_ms} ms, max ${s.max_delay_ms} ms)\n` +
      `${CALLS} evaluate calls: sequential ${result.evaluate_calls.sequential_median_ms} ms, concurrent ${result.evaluate_calls.concurrent_median_ms} ms (x${result.evaluate_calls.speedup})\n`,
  );
  fs.mkdirSync(path.join(__dirname, 'results'), { recursive: true });
  fs.writeFileSync(path.join(__dirname, 'results', 'eventloop.json'), `${JSON.stringify(result, null, 2)}\n`);
}

main().catch((err) => {
  process.stderr.write(`${err.stack ?? err}\n`);
  process.exit(1);
});
