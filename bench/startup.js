#!/usr/bin/env node
// CLI start-up: `realabel --version` against `node -e 0`, interleaved so that
// both see the same machine load. Medians of whole-process wall times; the
// target is a ratio of at most 1.5 (commands are loaded only when named).
// `require('realabel')` is the library's load cost: the cluster code (bullmq,
// ioredis) and the rating app are loaded only by the calls that use them.
'use strict';
const { spawnSync } = require('node:child_process');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { median } = require('./lib/stats');

const root = path.join(__dirname, '..');
const runs = Number(process.argv[2] || 21);
const cases = {
  'node -e 0': ['-e', '0'],
  'realabel --version': [path.join(root, 'bin', 'realabel.js'), '--version'],
  'realabel topk --help': [path.join(root, 'bin', 'realabel.js'), 'topk', '--help'],
  "require('realabel')": ['-e', `require(${JSON.stringify(path.join(root, 'dist', 'index.js'))})`],
};
const times = Object.fromEntries(Object.keys(cases).map((k) => [k, []]));
for (let i = 0; i < runs; i++) {
  for (const [name, args] of Object.entries(cases)) {
    const t0 = process.hrtime.bigint();
    const r = spawnSync(process.execPath, args, { stdio: 'ignore' });
    if (r.status !== 0) throw new Error(`${name} exited with ${r.status}`);
    times[name].push(Number(process.hrtime.bigint() - t0) / 1e6);
  }
}
const base = median(times['node -e 0']);
const results = Object.entries(times).map(([name, xs]) => ({
  name,
  median_ms: +median(xs).toFixed(1),
  ratio_to_node: +(median(xs) / base).toFixed(2),
  samples: xs.length,
}));
for (const r of results) console.log(`${r.name.padEnd(22)} ${String(r.median_ms).padStart(7)} ms  ${r.ratio_to_node}x node -e 0`);
fs.mkdirSync(path.join(__dirname, 'results'), { recursive: true });
const machine = { date: new Date().toISOString(), node: process.version, cpus: os.cpus().length, loadavg: os.loadavg() };
fs.writeFileSync(path.join(__dirname, 'results', 'startup.json'), `${JSON.stringify({ ...machine, runs, results }, null, 2)}\n`);
