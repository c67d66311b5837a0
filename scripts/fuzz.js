#!/usr/bin/env node
/**
 * `npm run fuzz [-- SECONDS]`: time-based exploration, not part of `npm test`
 * (whose fuzzing does a fixed number of inputs from a fixed seed). Runs the
 * libFuzzer entries for SECONDS each (default 60) and the fast-check reader
 * fuzz with 20x their inputs, all from one fresh seed, printed so that a
 * failure can be replayed: REALABEL_FUZZ_SEED=<seed> npm test.
 */
'use strict';
const { spawnSync } = require('node:child_process');
const path = require('node:path');

const seconds = Number(process.argv[2] ?? 60);
if (!(seconds > 0)) {
  console.error(`fuzz: SECONDS must be a positive number, got '${process.argv[2]}'`);
  process.exit(1);
}
const seed = process.env.REALABEL_FUZZ_SEED ?? String(1 + Math.floor(Math.random() * (2 ** 31 - 2)));
console.log(`fuzz: ${seconds} s per native entry, seed ${seed}`);
const root = path.resolve(__dirname, '..');
const env = { ...process.env, REALABEL_FUZZ_SECONDS: String(seconds), REALABEL_FUZZ_SEED: seed, REALABEL_FUZZ_RUNS: process.env.REALABEL_FUZZ_RUNS ?? '8000' };
const tests = ['test/native/fuzz.test.ts', 'test/io/fuzz.test.ts', 'test/io/answers-fuzz.test.ts', 'test/io/npz-readers-fuzz.test.ts'];
const r = spawnSync(process.execPath, [require.resolve('jest/bin/jest'), '--runInBand', ...tests], { cwd: root, env, stdio: 'inherit' });
if (r.status !== 0) console.error(`fuzz: failed; replay with REALABEL_FUZZ_SEED=${seed}`);
process.exit(r.status ?? 1);
