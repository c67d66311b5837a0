#!/usr/bin/env node
// Rating-task split on the published ReaL proposal sets (scores.npz pairs:
// 24,889 images, 184,962 pairs). Pure TypeScript: the split has no native
// kernel (it is a small search per image), so there is no twin or numpy column.
// Run `npx tsc -p tsconfig.json` first. Writes bench/results/tasks.json.
'use strict';
const { summarize } = require('./lib/stats');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const Benchmark = require('benchmark');

const root = path.join(__dirname, '..');
const dist = (m) => require(path.join(root, 'dist', m));
const { readProposalPairs, readProposalPairsSync } = dist('tasks/read');
const { tasks } = dist('tasks/tasks');
const { classHierarchy } = dist('tasks/hierarchy');
const { splitLabels } = dist('tasks/split');
const { tasksToJsonl, tasksToCsv } = dist('tasks/format');
const { readSynsets } = dist('io/synsets');

const data = process.env.REALABEL_DATA || path.join(root, '..', 'shared', 'data');
const scores = path.join(data, 'reassessed-imagenet', 'scores.npz');
const synsetFile = path.join(data, 'imagenet-classes', 'synset.txt');
if (!fs.existsSync(scores)) {
  console.log(`skipping: ${scores} not found`);
  process.exit(0);
}

const classes = readSynsets(synsetFile, { expected: 1000 });
const wnids = classes.map((c) => c.wnid);
const input = readProposalPairsSync(scores);
const h = classHierarchy(wnids);
const sets = new Map();
input.image.forEach((im, i) => {
  let s = sets.get(im);
  if (!s) sets.set(im, (s = []));
  s.push(input.label[i]);
});
const once = tasks(input, { classes, hierarchy: h });

const suite = new Benchmark.Suite('tasks');
const opts = { minSamples: 5, maxTime: 2 };
suite
  .add('read scores.npz pairs (info layout, async zlib)', {
    ...opts,
    defer: true,
    fn: (d) => readProposalPairs(scores).then(() => d.resolve()),
  })
  .add('read scores.npz pairs (info layout, sync fflate)', () => readProposalPairsSync(scores), opts)
  .add('WordNet hierarchy of 1,000 classes (fresh reads)', () => classHierarchy(wnids), opts)
  .add('splitLabels on 24,889 images', () => {
    for (const s of sets.values()) splitLabels(s, h.paths, 8);
  }, opts)
  .add('tasks() (group, split, category measure)', () => tasks(input, { classes, hierarchy: h }), opts)
  .add('tasks() with hierarchy', () => tasks(input, { classes }), opts)
  .add('JSONL serialise', () => tasksToJsonl(once.tasks), opts)
  .add('CSV serialise', () => tasksToCsv(once.tasks, 8), opts)
  .on('cycle', (e) => console.log(String(e.target)))
  .on('complete', function () {
    const results = this.map((b) => ({
      name: b.name,
      ...summarize(b),
    }));
    const s = once.summary;
    const out = {
      date: new Date().toISOString(),
      node: process.version,
      cpus: `${os.cpus().length} x ${os.cpus()[0]?.model ?? '?'}`,
      note: 'shared 2-core machine; pure TypeScript (no native kernel for the split)',
      data: { images: s.images, pairs: s.rated_pairs, images_over_max_labels: s.images_over_max_labels },
      tasks: { ours: s.tasks, lower_bound: s.tasks_lower_bound, paper: 37988 },
      categories: s.categories,
      results,
    };
    fs.mkdirSync(path.join(__dirname, 'results'), { recursive: true });
    fs.writeFileSync(path.join(__dirname, 'results', 'tasks.json'), `${JSON.stringify(out, null, 2)}\n`);
    console.log(JSON.stringify(out.tasks), JSON.stringify(out.categories));
  })
  .run({ async: true });
