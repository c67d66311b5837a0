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

// The optional CUDA module (docs/gpu.md), only where nvcc is found: CMake
// preset `cuda` -> build-cuda/realabel_cuda.node. Like the CPU addon, a
// failure is reported and never fails the install.
function findNvcc() {
  const candidates = [process.env.CUDACXX, '/usr/local/cuda/bin/nvcc'];
  const onPath = spawnSync('nvcc', ['--version'], { stdio: 'ignore' });
  if (onPath.status === 0) return 'nvcc';
  return candidates.find((p) => p && fs.existsSync(p));
}

function buildCuda() {
  if (process.env.REALABEL_SKIP_CUDA_BUILD === '1') return;
  const nvcc = findNvcc();
  if (!nvcc) return;
  const cwd = path.join(__dirname, '..');
  const env = nvcc === 'nvcc' ? process.env : { ...process.env, CUDACXX: nvcc };
  const jobs = String(Math.max(1, require('node:os').cpus().length));
  for (const args of [['--preset', 'cuda'], ['--build', '--preset', 'cuda', '-j', jobs]]) {
    const r = spawnSync('cmake', args, { cwd, env, stdio: 'inherit' });
    if (r.status !== 0) {
      const why = r.error ? ` (${r.error.message})` : '';
      process.stderr.write(`realabel: optional CUDA module build failed${why}; the CPU kernels will be used\n`);
      return;
    }
  }
}

buildCuda();
