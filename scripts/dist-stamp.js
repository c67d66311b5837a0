'use strict';
// The build stamp of dist/: a hash of everything tsc compiles from (src/**
// and tsconfig.json). scripts/build.js writes it after a build; jest's global
// setup compares it with the sources, so tests never run a stale dist/ worker.
const crypto = require('node:crypto');
const fs = require('node:fs');
const path = require('node:path');

const ROOT = path.join(__dirname, '..');
const STAMP = path.join(ROOT, 'dist', '.build-stamp');

function sourceFiles(dir) {
  const files = [];
  for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) files.push(...sourceFiles(p));
    else files.push(p);
  }
  return files;
}

/** sha256 over the sorted relative paths and contents of the build inputs. */
function sourcesHash() {
  const hash = crypto.createHash('sha256');
  const files = [path.join(ROOT, 'tsconfig.json'), ...sourceFiles(path.join(ROOT, 'src'))];
  for (const file of files.map((f) => path.relative(ROOT, f).split(path.sep).join('/')).sort()) {
    hash.update(`${file}\0`);
    hash.update(fs.readFileSync(path.join(ROOT, file)));
    hash.update('\0');
  }
  return hash.digest('hex');
}

function readStamp() {
  try {
    return fs.readFileSync(STAMP, 'utf8').trim();
  } catch {
    return null;
  }
}

function writeStamp(hash = sourcesHash()) {
  fs.writeFileSync(STAMP, `${hash}\n`);
}

module.exports = { sourcesHash, readStamp, writeStamp, STAMP };
