#!/usr/bin/env node
// Runs every benchmark in sequence (one run, so medians and ratios come from
// the same conditions), then prints README's performance table.
'use strict';
const { spawnSync } = require('node:child_process');
const path = require('node:path');

const BENCHES = ['topk', 'pool', 'propose', 'subsets', 'tasks', 'aggregate', 'evaluate', 'logits', 'eventloop', 'commands'];
const only = process.argv.slice(2);
for (const name of only.length ? only : BENCHES) {
  process.stdout.write(`\n=== bench/${name}.js\n`);
  const r = spawnSync(process.execPath, [path.join(__dirname, `${name}.js`)], { stdio: 'inherit' });
  if (r.status !== 0) process.stdout.write(`bench/${name}.js exited with ${r.status}\n`);
}
spawnSync(process.execPath, [path.join(__dirname, 'table.js')], { stdio: 'inherit' });
