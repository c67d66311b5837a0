/**
 * Runs the CLI in this process: the same `buildProgram` as `bin/realabel.js`,
 * with commander's exits turned into return values and stdout/stderr
 * captured. Far cheaper than a child process (no Node start-up, no module
 * loading per run); use `spawnCli` where a test needs a real process (exit on
 * signals, stdin, environment variables read at start-up, worker crashes).
 */
import { spawnSync } from 'node:child_process';
import * as path from 'node:path';
import { CommanderError } from 'commander';
import { buildProgram } from '../../src/cli/main';
import { reportError } from '../../src/cli/common';

export const BIN = path.resolve(__dirname, '..', '..', 'bin', 'realabel.js');

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

type Write = typeof process.stdout.write;

/** `realabel ...args` in this process; `cwd` is entered for the run and left after. */
export async function runCli(args: string[], opts: { cwd?: string } = {}): Promise<CliResult> {
  const out: string[] = [];
  const err: string[] = [];
  const saved = { stdout: process.stdout.write, stderr: process.stderr.write, exitCode: process.exitCode, cwd: process.cwd() };
  const capture = (sink: string[]): Write => ((chunk: string | Uint8Array) => {
    sink.push(typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString('utf8'));
    return true;
  }) as Write;
  process.stdout.write = capture(out);
  process.stderr.write = capture(err);
  process.exitCode = undefined;
  let code: number;
  try {
    if (opts.cwd) process.chdir(opts.cwd);
    const program = buildProgram(args, (p) =>
      p.exitOverride().configureOutput({ writeOut: (s) => out.push(s), writeErr: (s) => err.push(s) }),
    );
    await program.parseAsync(args, { from: 'user' });
    code = Number(process.exitCode ?? 0);
  } catch (e) {
    code = e instanceof CommanderError ? e.exitCode : reportError(e);
  } finally {
    process.stdout.write = saved.stdout;
    process.stderr.write = saved.stderr;
    process.exitCode = saved.exitCode;
    process.chdir(saved.cwd);
  }
  return { code, stdout: out.join(''), stderr: err.join('') };
}

/** `node bin/realabel.js ...args` in a child process (the built CLI in dist/). */
export function spawnCli(args: string[], opts: { cwd?: string; env?: NodeJS.ProcessEnv; timeout?: number } = {}): CliResult {
  const r = spawnSync(process.execPath, [BIN, ...args], {
    cwd: opts.cwd, encoding: 'utf8', timeout: opts.timeout ?? 60_000, killSignal: 'SIGKILL',
    env: { ...process.env, REALABEL_DEBUG: '', ...opts.env },
  });
  return { code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}
