/**
 * Commands whose output is a folder create it, parents included, like
 * `mkdir -p`; a file where the folder (or one of its parents) should be is a
 * one-line error naming it (exit 1), and nothing is created. File outputs keep
 * their rule: the parent folder must exist (docs/cli.md). The demo's nested
 * folder is checked in test/demo/demo.test.ts.
 */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { dataPath, describeData } from '../helpers/data';
import { tmpDir } from '../helpers/tmp';

const BIN = path.resolve(__dirname, '..', '..', 'bin', 'realabel.js');
const dir = tmpDir('realabel-folders-');
const f = (...p: string[]) => path.join(dir, ...p);

function run(args: string[]) {
  return spawnSync(process.execPath, [BIN, ...args], { cwd: dir, encoding: 'utf8', env: { ...process.env, REALABEL_DEBUG: '' } });
}

const aFile = f('a-file.txt');
fs.writeFileSync(aFile, 'not a folder\n');
const simulate = (out: string) => ['simulate', '--models', '2', '--images', '200', '--classes', '10', '--out', out, '--workers', '1'];
const analyze = (out: string) => ['analyze', '--labels', f('sim', 'truth.json'), '--original', f('sim', 'original.npy'), '--out', out];

/** A file in the way, as the folder or as one of its parents: exit 1, one line naming it, nothing new on disk. */
function expectRefused(args: (out: string) => string[]): void {
  const before = fs.readdirSync(dir).sort();
  let r = run(args(aFile));
  expect([r.status, r.stderr]).toEqual([1, `realabel: ${aFile}: is a file, not a folder\n`]);
  const under = path.join(aFile, 'x', 'y');
  r = run(args(under));
  expect([r.status, r.stderr]).toEqual([1, `realabel: ${under}: cannot create the folder: ${aFile} is a file\n`]);
  expect(fs.readdirSync(dir).sort()).toEqual(before);
  expect(fs.readFileSync(aFile, 'utf8')).toBe('not a folder\n');
}

describe('simulate --out', () => {
  it('creates missing parents (mkdir -p)', () => {
    const r = run(simulate('sim'));
    expect([r.status, r.stderr]).toEqual([0, '']);
    const nested = f('n1', 'n2', 'sim');
    expect(run(simulate(nested)).status).toBe(0);
    expect(fs.readdirSync(nested).sort()).toEqual(['model_00.npy', 'model_01.npy', 'original.npy', 'simulate.json', 'truth.json']);
  });
  it('refuses a file in the way', () => expectRefused(simulate));
});

describe('analyze --out', () => {
  it('creates missing parents (mkdir -p)', () => {
    const nested = f('r1', 'r2', 'report');
    const r = run(analyze(nested));
    expect([r.status, r.stderr]).toEqual([0, '']);
    expect(fs.existsSync(path.join(nested, 'report.html'))).toBe(true);
    expect(fs.readdirSync(dir).filter((n) => n.startsWith('.'))).toEqual([]); // no staging folder left
  });
  it('refuses a file in the way, before the analysis', () => expectRefused(analyze));
});

describeData('reproduce-real --out', () => {
  it('creates missing parents (mkdir -p), as in the README example', () => {
    const nested = f('real', 'out');
    const r = run(['reproduce-real', '--data', dataPath('reassessed-imagenet'), '--original', dataPath('imagenet-val', 'imagenet_val_original_labels.npy'), '--out', nested, '--json']);
    expect([r.status, r.stderr]).toEqual([0, '']);
    expect(fs.readdirSync(nested).sort()).toEqual(['real.json', 'scores.npz']);
  });
});
