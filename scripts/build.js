#!/usr/bin/env node
// `npm run build`: dist/ from src/ with tsc, from scratch (no output of a
// renamed or deleted source survives), then the build stamp that tests check.
'use strict';
const { spawnSync } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');
const { sourcesHash, writeStamp } = require('./dist-stamp');

const root = path.join(__dirname, '..');
const hash = sourcesHash(); // before compiling: an edit during the build leaves the stamp stale
fs.rmSync(path.join(root, 'dist'), { recursive: true, force: true });
const tsc = require.resolve('typescript/bin/tsc', { paths: [root] });
const r = spawnSync(process.execPath, [tsc, '-p', path.join(root, 'tsconfig.json')], { stdio: 'inherit' });
if (r.status !== 0) process.exit(r.status ?? 1);
writeStamp(hash);
