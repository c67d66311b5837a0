#!/usr/bin/env node
// Pooling kernel (native/pool.cc) vs its TypeScript twin, benchmark.js.
// Input shaped like `propose` on 19 models of 50,000 x 1,000 with K = 3N:
// 38 sources of 150,000 pairs (5.7M pairs), overlapping the way models agree,
// plus 20 forced rows (19 top-1 + original). Run `npx tsc -p tsconfig.json` first.
// REALABEL_BENCH_SCALE=0.2 shrinks N and K. Writes bench/results/pool.json.
'use strict';
const { summarize } = require('./lib/stats');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const Benchmark = require('benchmark');

const root = path.join(__dirname, '..');
const { poolPairsSync: poolPairs } = require(path.join(root, 'dist', 'pool', 'pool'));
const { hasNative } = require(path.join(root, 'dist', 'native', 'addon'));
const { Rng } = require(path.join(root, 'dist', 'simulate', 'rng'));

const SCALE = Number(process.env.REALABEL_BENCH_SCALE || 1);
const N = Math.round(50000 * SCALE);
const C = 1000;
const M = 19;
const K = 3 * N;

function input() {
  const rng = new Rng(1, 2);
  const base = Int32Array.from({ length: N }, () => rng.int(C));
  // Label = the image's base label plus a small geometric offset: sources overlap heavily.
  const near = (i) => {
    let off = 0;
    while (rng.next() < 0.45) off++;
    return (base[i] + off) % C;
  };
  const sources = [];
  for (let m = 0; m < M; m++) {
    for (let t = 0; t < 2; t++) {
      const image = new Int32Array(K);
      const label = new Int32Array(K);
      const seen = new Set();
      for (let j = 0; j < K; ) {
        const i = rng.int(N);
        const lb = near(i);
        const key = i * C + lb;
        if (seen.has(key)) continue;
        seen.add(key);
        image[j] = i;
        label[j++] = lb;
      }
      sources.push({ image, label, model: m });
    }
  }
  const forced = [];
  for (let m = 0; m <= M; m++) forced.push(Int32Array.from({ length: N }, (_, i) => (rng.next() < 0.8 ? base[i] : near(i))));
  return { n: N, c: C, models: M, sources, forced, minVotes: 2 };
}

function main() {
  const data = input();
  const pairs = data.sources.reduce((s, x) => s + x.image.length, 0);
  const results = {};
  let P = 0;
  const suite = new Benchmark.Suite('pool');
  const opts = { minSamples: 3, maxTime: 2, initCount: 1 };
  if (hasNative()) suite.add('native', () => (P = poolPairs(data, { backend: 'native' }).image.length), opts);
  suite.add('ts', () => (P = poolPairs(data, { backend: 'ts' }).image.length), opts);
  suite
    .on('cycle', (e) => {
      const b = e.target;
      results[b.name] = summarize(b);
      process.stderr.write(`${String(e.target)}\n`);
    })
    .run();
  if (results.native && results.ts) results.native_speedup = +(results.ts.median_ms / results.native.median_ms).toFixed(2);
  const out = {
    bench: 'pool',
    date: new Date().toISOString(),
    machine: { cpus: os.cpus().length, model: os.cpus()[0]?.model, node: process.version, loadavg: os.loadavg() },
    note: 'shared 2-core machine; the pooling kernel is single-threaded',
    input: { n: N, c: C, models: M, k: K, source_pairs: pairs, forced_rows: M + 1, min_votes: 2, kept_pairs: P },
    results,
  };
  fs.mkdirSync(path.join(__dirname, 'results'), { recursive: true });
  fs.writeFileSync(path.join(__dirname, 'results', 'pool.json'), `${JSON.stringify(out, null, 2)}\n`);
  process.stdout.write(`${JSON.stringify(out.results, null, 2)}\n`);
}

main();
