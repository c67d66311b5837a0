/**
 * CLI conventions: `realabel --help` lists every command in pipeline order
 * (in a real child process), `realabel <cmd> --help` exits 0 with examples of
 * that command, and errors exit 1 (user) with one line on stderr (in process).
 * `--version` loads no command module: start-up stays cheap.
 */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { runCli, spawnCli } from '../helpers/cli';
import { tmpDir } from '../helpers/tmp';

const ROOT = path.resolve(__dirname, '..', '..');
const dir = tmpDir('realabel-help-');
const COMMAND_ORDER = [
  'topk', 'propose', 'select-models', 'tasks', 'serve', 'aggregate', 'reproduce-real', 'evaluate', 'analyze', 'clean', 'export', 'logits', 'simulate', 'demo',
];

test('realabel --help lists every command, in pipeline order', () => {
  const r = spawnCli(['--help']);
  expect(r.code).toBe(0);
  const listed = r.stdout
    .split('Commands:')[1]
    .split('\n')
    .map((l) => /^ {2}([a-z-]+)/.exec(l)?.[1])
    .filter((c): c is string => Boolean(c) && c !== 'help');
  expect(listed).toEqual([...COMMAND_ORDER, 'cluster']);
});

test.each(COMMAND_ORDER)('realabel %s --help exits 0 and shows examples of the command', async (cmd) => {
  const r = await runCli([cmd, '--help']);
  expect(r.code).toBe(0);
  expect(r.stderr).toBe('');
  const examples = r.stdout.split('\nExamples:\n')[1];
  expect(examples).toBeDefined();
  const lines = examples.split('\n').filter((l) => l.startsWith('  $ '));
  expect(lines.length).toBeGreaterThan(0);
  for (const l of lines) expect(l.startsWith(`  $ realabel ${cmd}`)).toBe(true);
  expect(r.stdout).toMatch(/--json/);
});

test('user errors exit 1 with one line naming the problem; a missing file is named', async () => {
  const unknown = await runCli(['demo', '--images', 'lots']);
  expect(unknown.code).toBe(1);
  expect(unknown.stderr.trim().split('\n')).toHaveLength(1);
  expect(unknown.stderr).toMatch(/--images must be an integer/);
  const missing = await runCli(['evaluate', '--labels', '/nonexistent/real.json', '--predictions', '/nonexistent/p.npy']);
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

test('realabel --version prints the version and loads no command or stage module', () => {
  // What start-up requires: the CLI's plumbing (main, commands, common), commander, no command's
  // module, no stage's module (dist/<stage>/), no native binary.
  const hook = path.join(dir, 'loaded.js');
  fs.writeFileSync(hook, `process.on('exit', () => process.stderr.write(JSON.stringify(Object.keys(require.cache))));\n`);
  const r = spawnSync(process.execPath, ['--require', hook, path.join(ROOT, 'bin', 'realabel.js'), '--version'], { encoding: 'utf8' });
  expect(r.status).toBe(0);
  expect(r.stdout.trim()).toBe(require('../../package.json').version);
  const ours = (JSON.parse(r.stderr) as string[])
    .filter((f) => f.startsWith(ROOT) && !f.includes(`${path.sep}node_modules${path.sep}`))
    .map((f) => path.relative(ROOT, f).split(path.sep).join('/'));
  expect(ours).toEqual(expect.arrayContaining(['bin/realabel.js', 'dist/cli/main.js', 'dist/cli/commands.js']));
  const plumbing = /^(bin\/realabel\.js|package\.json|dist\/errors\.js|dist\/cli\/(main|commands|common|json)\.js|dist\/native\/[a-z-]+\.js)$/;
  expect(ours.filter((f) => !plumbing.test(f))).toEqual([]);
});
