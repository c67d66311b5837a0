/**
 * CLI conventions, in a real child process: `realabel --help` lists every
 * command in pipeline order, `realabel <cmd> --help` exits 0 with examples of
 * that command, and errors exit 1 (user) with one line on stderr.
 */
import { spawnSync } from 'node:child_process';
import * as path from 'node:path';

const BIN = path.resolve(__dirname, '..', '..', 'bin', 'realabel.js');
const COMMAND_ORDER = [
  'topk', 'propose', 'select-models', 'tasks', 'serve', 'aggregate', 'reproduce-real', 'evaluate', 'analyze', 'clean', 'export', 'logits', 'simulate', 'demo',
];

function run(args: string[]) {
  const r = spawnSync(process.execPath, [BIN, ...args], { encoding: 'utf8', env: { ...process.env, REALABEL_DEBUG: '' } });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

test('realabel --help lists every command, in pipeline order', () => {
  const r = run(['--help']);
  expect(r.code).toBe(0);
  const listed = r.stdout
    .split('Commands:')[1]
    .split('\n')
    .map((l) => /^ {2}([a-z-]+)/.exec(l)?.[1])
    .filter((c): c is string => Boolean(c) && c !== 'help');
  expect(listed).toEqual([...COMMAND_ORDER, 'cluster']);
});

test.each(COMMAND_ORDER)('realabel %s --help exits 0 and shows examples of the command', (cmd) => {
  const r = run([cmd, '--help']);
  expect(r.code).toBe(0);
  expect(r.stderr).toBe('');
  const examples = r.stdout.split('\nExamples:\n')[1];
  expect(examples).toBeDefined();
  const lines = examples.split('\n').filter((l) => l.startsWith('  $ '));
  expect(lines.length).toBeGreaterThan(0);
  for (const l of lines) expect(l.startsWith(`  $ realabel ${cmd}`)).toBe(true);
  expect(r.stdout).toMatch(/--json/);
});

test('user errors exit 1 with one line naming the problem; a missing file is named', () => {
  const unknown = run(['demo', '--images', 'lots']);
  expect(unknown.code).toBe(1);
  expect(unknown.stderr.trim().split('\n')).toHaveLength(1);
  expect(unknown.stderr).toMatch(/--images must be an integer/);
  const missing = run(['evaluate', '--labels', '/nonexistent/real.json', '--predictions', '/nonexistent/p.npy']);
  expect(missing.code).toBe(1);
  expect(missing.stderr.trim().split('\n')).toHaveLength(1);
  expect(missing.stderr).toMatch(/nonexistent/);
});

test('a bug (not a user error) exits 2 with "internal error"', () => {
  // Not a RealabelError: what a programming error looks like to the CLI.
  const { reportError } = require('../../src/cli/common') as typeof import('../../src/cli/common');
  const write = jest.spyOn(process.stderr, 'write').mockImplementation(() => true);
  try {
    expect(reportError(new TypeError('x is undefined'))).toBe(2);
    expect(write).toHaveBeenCalledWith('realabel: internal error: x is undefined\n');
  } finally {
    write.mockRestore();
  }
});
