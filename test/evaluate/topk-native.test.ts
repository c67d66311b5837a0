import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { tmpDir } from '../helpers/tmp';

// The C++ kernel on its own, against a stable sort (see native/topk-check.cc).
const CXX = process.env.CXX ?? 'g++';
const haveCxx = spawnSync(CXX, ['--version']).status === 0;
const maybe = haveCxx ? describe : describe.skip;
if (!haveCxx) console.warn(`skipping the standalone kernel check: no C++ compiler (${CXX})`);

maybe('native/evaluate-topk.h (standalone)', () => {
  const dir = tmpDir();
  it('matches a stable sort, for float and double, 1-4 threads, and finds the NaN row', () => {
    const root = path.resolve(__dirname, '..', '..');
    const exe = path.join(dir, 'topk-check');
    const build = spawnSync(CXX, ['-std=c++17', '-O1', `-I${path.join(root, 'native')}`, path.join(__dirname, 'native', 'topk-check.cc'), '-o', exe, '-pthread'], { encoding: 'utf8' });
    expect(build.stderr).toBe('');
    expect(fs.existsSync(exe)).toBe(true);
    const run = spawnSync(exe, { encoding: 'utf8' });
    expect(run.stdout.trim()).toBe('mismatches 0');
    expect(run.status).toBe(0);
  }, 120000);
});
