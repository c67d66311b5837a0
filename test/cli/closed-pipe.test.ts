/**
 * A closed stdout is not a crash: `realabel ... --json | head -c 400` (or a
 * reader that is gone before anything is written) ends quietly, exit 0, no
 * stack trace, and the output files are complete. One listener in
 * src/cli/main.ts covers every command.
 */
import { spawn, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { readNpy } from '../../src/io/npy';
import { tmpDir } from '../helpers/tmp';

const BIN = path.resolve(__dirname, '..', '..', 'bin', 'realabel.js');
const dir = tmpDir('realabel-pipe-');
const f = (...p: string[]) => path.join(dir, ...p);

/** Runs the CLI with its stdout's reading end closed before the command writes. */
function runWithClosedStdout(args: string[]): Promise<{ status: number | null; signal: string | null; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, ...args], { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] });
    child.stdout.destroy();
    let stderr = '';
    child.stderr.on('data', (d) => (stderr += String(d)));
    child.on('error', reject);
    child.on('close', (status, signal) => resolve({ status, signal, stderr }));
  });
}

beforeAll(() => {
  // 1000 classes: clean's --json report (per class) is far larger than a pipe's buffer.
  const r = spawnSync(process.execPath, [BIN, 'simulate', '--models', '2', '--images', '3000', '--classes', '1000', '--out', f('sim'), '--workers', '1'], { encoding: 'utf8' });
  expect([r.status, r.stderr]).toEqual([0, '']);
});

it.each([
  ['--help', ['--help']],
  ['simulate --json', ['simulate', '--models', '2', '--images', '200', '--classes', '10', '--out', 'sim2', '--json', '--workers', '1']],
  ['simulate (human summary)', ['simulate', '--models', '2', '--images', '200', '--classes', '10', '--out', 'sim3', '--workers', '1']],
  ['clean --json', ['clean', '--labels', 'sim/original.npy', '--predictions', 'sim/model_00.npy', '--out', 'keep-a.npy', '--json']],
])('%s: exit 0, nothing on stderr, when stdout is already closed', async (_name, args) => {
  const r = await runWithClosedStdout(args);
  expect(r).toEqual({ status: 0, signal: null, stderr: '' });
});

it('clean --json | head -c 400: exit 0, quiet, its output file complete', () => {
  const keep = f('keep-b.npy');
  const cmd = `"${process.execPath}" "${BIN}" clean --labels sim/original.npy --predictions sim/model_00.npy --out "${keep}" --json 2>err.txt | head -c 400 > head.txt; echo "\${PIPESTATUS[0]}"`;
  const r = spawnSync('bash', ['-c', cmd], { cwd: dir, encoding: 'utf8' });
  expect(r.stdout.trim()).toBe('0');
  expect(fs.readFileSync(f('err.txt'), 'utf8')).toBe('');
  expect(fs.readFileSync(f('head.txt'), 'utf8')).toHaveLength(400);
  // The kept indices equal those of a run whose output is read to the end.
  const full = spawnSync(process.execPath, [BIN, 'clean', '--labels', 'sim/original.npy', '--predictions', 'sim/model_00.npy', '--out', 'keep-c.npy', '--json'], { cwd: dir, encoding: 'utf8' });
  expect(full.status).toBe(0);
  expect(full.stdout.length).toBeGreaterThan(1 << 16);
  expect(Buffer.from(readNpy(keep).data.buffer).equals(Buffer.from(readNpy(f('keep-c.npy')).data.buffer))).toBe(true);
});
