// Jest global setup: Piscina workers load dist/, so a dist/ older than src/
// would test old code by mistake. Rebuild it when its stamp does not match.
'use strict';
const { spawnSync } = require('node:child_process');
const path = require('node:path');
const { readStamp, sourcesHash } = require('../../scripts/dist-stamp');

module.exports = async () => {
  if (readStamp() === sourcesHash()) return;
  process.stderr.write('\njest: dist/ does not match src/; rebuilding it (npm run build)\n');
  const r = spawnSync(process.execPath, [path.join(__dirname, '..', '..', 'scripts', 'build.js')], { stdio: 'inherit' });
  if (r.status !== 0) throw new Error('npm run build failed: fix the type errors above');
};
