/**
 * `require('realabel')` loads only what every caller needs. The cluster code
 * (bullmq, ioredis), the rating app (fastify, better-sqlite3) and the optional
 * peers (onnxruntime-node, sharp, vega) are loaded by the calls that use them.
 * Checked in a fresh Node process on dist/ (kept equal to src/ by the jest
 * global setup), since jest's own module registry is not Node's.
 */
import { execFileSync } from 'node:child_process';
import * as path from 'node:path';

const ROOT = path.resolve(__dirname, '..', '..');

/** Packages under node_modules that a script has loaded, read from Node's require.cache. */
function packagesLoadedBy(script: string): string[] {
  const probe = `${script};
    const names = new Set();
    for (const file of Object.keys(require.cache)) {
      const m = /node_modules[\\\\/]((?:@[^\\\\/]+[\\\\/])?[^\\\\/]+)/.exec(file);
      if (m) names.add(m[1].replace(/\\\\/g, '/'));
    }
    process.stdout.write(JSON.stringify([...names].sort()));`;
  return JSON.parse(execFileSync(process.execPath, ['-e', probe], { cwd: ROOT, encoding: 'utf8' }));
}

const HEAVY = ['bullmq', 'ioredis', 'fastify', 'better-sqlite3', 'onnxruntime-node', 'sharp', 'vega', 'vega-lite'];

test('requiring the package loads none of bullmq, ioredis, fastify or the optional peers', () => {
  const loaded = packagesLoadedBy(`require(${JSON.stringify(path.join(ROOT, 'dist', 'index.js'))})`);
  expect(loaded.filter((name) => HEAVY.includes(name))).toEqual([]);
});

test('the probe sees a package that is loaded (bullmq through src/cluster)', () => {
  // Without this, a probe that never matched would pass the test above.
  const loaded = packagesLoadedBy(`require(${JSON.stringify(path.join(ROOT, 'dist', 'cluster', 'coordinator.js'))})`);
  expect(loaded).toEqual(expect.arrayContaining(['bullmq', 'ioredis']));
});
