#!/usr/bin/env node
// Install-time build of the optional native core with npm's own node-gyp.
// A failed build must not fail `npm install`: the library then falls back to
// its pure-TypeScript kernels (and says so once at run time).
'use strict';
const { spawnSync } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');

if (process.env.REALABEL_SKIP_NATIVE_BUILD === '1') process.exit(0);

function findNodeGyp() {
  const candidates = [
    process.env.npm_config_node_gyp,
    path.join(path.dirname(process.execPath), '..', 'lib', 'node_modules', 'npm', 'node_modules', 'node-gyp', 'bin', 'node-gyp.js'),
  ];
  return candidates.find((p) => p && fs.existsSync(p));
}

// Build against the headers of the running Node (no header download).
function nodeDir() {
  if (process.env.npm_config_nodedir) return process.env.npm_config_nodedir;
  const prefix = path.join(path.dirname(process.execPath), '..');
  return fs.existsSync(path.join(prefix, 'include', 'node', 'node_api.h')) ? path.resolve(prefix) : undefined;
}

const gyp = findNodeGyp();
const dir = nodeDir();
const args = ['rebuild', ...(dir ? [`--nodedir=${dir}`] : [])];
const opts = { cwd: path.join(__dirname, '..'), stdio: 'inherit' };
const res = gyp ? spawnSync(process.execPath, [gyp, ...args], opts) : spawnSync('node-gyp', args, opts);
if (res.status !== 0) {
  const why = res.error ? ` (${res.error.message})` : '';
  process.stderr.write(`realabel: native build failed${why}; the pure-TypeScript kernels will be used instead\n`);
}
