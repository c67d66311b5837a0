#!/usr/bin/env node
// Model-subset search: 2^19 - 1 subsets of 19 simulated models on a gold set
// of the published size (155 images, 1,135 questions; the real golden.npz
// when ../shared/data is present). Native bitset kernel (1 and all threads)
// vs the TypeScript twin, benchmark.js. Target: <= 2 s. Run
// `npx tsc -p tsconfig.json` first. writes bench/results/subsets.json.
'use strict';
const { summarize } = require('./lib/stats');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const Benchmark = require('benchmark');

const root = path.join(__dirname, '..');
const dist = (m) => require(path.join(root, 'dist', m));
const { simulate } = dist('simulate/simulate');
const { proposeSync: propose } = dist('propose/propose');
const { readGold } = dist('subsets/gold');
const { readLabelSets } = dist('io/labels');
const { buildProblem } = dist('subsets/problem');
const { exhaustiveBucketsSync: exhaustiveBuckets, searchSubsets } = dist('subsets/subsets');
const { exhaustiveTs } = dist('subsets/search-ts');
const { hasNative } = dist('native/addon');
const { Rng } = dist('simulate/rng');

const DATA = process.env.REALABEL_DATA || path.join(root, '..', 'shared', 'data');
const M = 19;
const N_TOTAL = 50000;

/** The real gold set, or a synthetic one of the same size. */
function goldAndTruth() {
  const goldFile = path.join(DATA, 'reassessed-imagenet', 'golden.npz');
  if (fs.existsSync(goldFile)) {
    const gold = readGold(goldFile);
    const real = readLabelSets(path.join(DATA, 'reassessed-imagenet', 'real.json'), { numClasses: 1000 });
    const ids = [...new Set(gold.image)].sort((a, b) => a - b);
    // The simulated models' truth: the experts' positives (real.json where an image has none).
    const truth = ids.map((id) => {
      const pos = [];
      gold.image.forEach((im, q) => im === id && gold.positive[q] && pos.push(gold.label[q]));
      return pos.length ? pos.sort((a, b) => a - b) : real[id];
    });
    return { gold, ids, truth, source: goldFile };
  }
  const rng = new Rng(3, 1);
  const ids = Array.from({ length: 155 }, (_, i) => i * 300 + rng.int(300));
  const truth = ids.map(() => [rng.int(1000)]);
  const image = [];
  const label = [];
  const yes = [];
  ids.forEach((id, i) => {
    const per = i < 50 ? 8 : 7; // 50 * 8 + 105 * 7 = 1135
    const labels = new Set(truth[i]);
    while (labels.size < per) labels.add((truth[i][0] + 1 + rng.int(20)) % 1000);
    for (const lb of labels) {
      image.push(id);
      label.push(lb);
      yes.push(truth[i].includes(lb) || rng.next() < 0.12 ? 3 + rng.int(3) : rng.int(3));
    }
  });
  const gold = {
    file: 'synthetic', experts: 5, minYes: 3, image: Int32Array.from(image), label: Int32Array.from(label),
    yes: Int32Array.from(yes), positive: Uint8Array.from(yes, (y) => (y >= 3 ? 1 : 0)),
  };
  return { gold, ids, truth, source: 'synthetic (shared data absent)' };
}

function main() {
  const { gold, ids, truth, source } = goldAndTruth();
  const sim = simulate({ truth, classes: 1000, models: M, seed: 7, accuracy: [0.55, 0.85] });
  const p = propose({ logits: sim.logits, n: ids.length, c: 1000, original: sim.original });
  // Re-index the gold images' proposals into the 50,000-image set.
  const top1 = new Int32Array(M * N_TOTAL);
  const original = new Int32Array(N_TOTAL);
  ids.forEach((id, i) => {
    original[id] = p.original[i];
    for (let m = 0; m < M; m++) top1[m * N_TOTAL + id] = p.top1[m * p.n + i];
  });
  const proposals = { ...p, n: N_TOTAL, image: Int32Array.from(p.image, (i) => ids[i]), top1, original };
  const pr = buildProblem(proposals, gold);

  const results = {};
  const suite = new Benchmark.Suite('subsets');
  const opts = { minSamples: 3, maxTime: 3, initCount: 1 };
  if (hasNative()) {
    suite.add('native_threads_all', () => exhaustiveBuckets(pr, { backend: 'native', threads: 0 }), opts);
    suite.add('native_threads_1', () => exhaustiveBuckets(pr, { backend: 'native', threads: 1 }), opts);
  }
  suite.add('ts', () => exhaustiveTs(pr), { minSamples: 2, maxTime: 1, initCount: 1 });
  suite
    .on('cycle', (e) => {
      const b = e.target;
      results[b.name] = summarize(b);
      process.stderr.write(`${String(b)}\n`);
    })
    .run();
  const t0 = performance.now();
  const r = searchSubsets(pr, { recall: 0.97 });
  const endToEnd = performance.now() - t0;
  const out = {
    bench: 'subsets',
    date: new Date().toISOString(),
    machine: { cpus: os.cpus().length, model: os.cpus()[0]?.model, node: process.version, loadavg: os.loadavg() },
    note: 'shared 2-core machine; target: 2^19 subsets <= 2000 ms',
    input: {
      gold: source, models: M, subsets: 2 ** M - 1, gold_images: pr.goldImages, gold_questions: pr.goldQuestions,
      positives: pr.positives, candidate_pairs: pr.image.length, words32: pr.words,
    },
    results,
    search_subsets_ms: endToEnd,
    best: r.best,
    all_models: r.all_models,
    max_recall: r.max_recall,
    pareto_size: r.pareto.length,
  };
  fs.mkdirSync(path.join(__dirname, 'results'), { recursive: true });
  fs.writeFileSync(path.join(__dirname, 'results', 'subsets.json'), `${JSON.stringify(out, null, 2)}\n`);
  process.stdout.write(`${JSON.stringify({ input: out.input, results, search_subsets_ms: endToEnd, best: r.best, all: r.all_models, max_recall: r.max_recall }, null, 2)}\n`);
}

main();
