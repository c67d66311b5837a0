/**
 * Shared CLI plumbing: exit codes, --json output, option parsers.
 * Exit 0 on success, 1 on a user error (one line naming the file and the
 * problem), 2 on an internal error.
 */
import { InvalidArgumentError, type Command } from 'commander';
import { RealabelError } from '../errors';

export const EXIT_USER = 1;
export const EXIT_INTERNAL = 2;

/** Wraps a command action so errors map to exit codes and one-line messages. */
export function action<A extends unknown[]>(fn: (...args: A) => Promise<void> | void): (...args: A) => Promise<void> {
  return async (...args: A) => {
    try {
      await fn(...args);
    } catch (err) {
      process.exitCode = reportError(err);
    }
  };
}

export function reportError(err: unknown): number {
  if (err instanceof RealabelError) {
    process.stderr.write(`realabel: ${oneLine(err.message)}\n`);
    return EXIT_USER;
  }
  const e = err as Error;
  process.stderr.write(`realabel: internal error: ${oneLine(e?.message ?? String(err))}\n`);
  if (process.env.REALABEL_DEBUG) process.stderr.write(`${e?.stack ?? ''}\n`);
  return EXIT_INTERNAL;
}

function oneLine(s: string): string {
  return s.replace(/\s*\n\s*/g, ' ');
}

/** Prints one JSON object on stdout (the --json contract). */
export function printJson(value: unknown): void {
  process.stdout.write(`${JSON.stringify(value, null, 2)}\n`);
}

export function parseIntArg(name: string, min = Number.MIN_SAFE_INTEGER, max = Number.MAX_SAFE_INTEGER) {
  return (raw: string): number => {
    if (!/^[+-]?\d+$/.test(raw.trim())) throw new InvalidArgumentError(`${name} must be an integer, got '${raw}'`);
    const v = Number(raw);
    if (v < min || v > max) throw new InvalidArgumentError(`${name} must be in [${min}, ${max}], got ${v}`);
    return v;
  };
}

export function parseFloatArg(name: string, min = -Infinity, max = Infinity) {
  return (raw: string): number => {
    const v = Number(raw);
    if (raw.trim() === '' || !Number.isFinite(v)) throw new InvalidArgumentError(`${name} must be a number, got '${raw}'`);
    if (v < min || v > max) throw new InvalidArgumentError(`${name} must be in [${min}, ${max}], got ${v}`);
    return v;
  };
}

/** Adds `--threads N` (native kernel threads; 0 = all cores). */
export function threadsOption(cmd: Command): Command {
  return cmd.option('--threads <n>', 'native kernel threads (0 = all cores)', parseIntArg('--threads', 0, 1024), 0);
}

/** Adds `--workers N` (Piscina worker threads; 0 = all cores). */
export function workersOption(cmd: Command): Command {
  return cmd.option('--workers <n>', 'worker threads in the pool (0 = all cores)', parseIntArg('--workers', 0, 1024), 0);
}

/** Appends an "Examples:" block to a command's --help. */
export function examples(cmd: Command, lines: string[]): Command {
  return cmd.addHelpText('after', `\nExamples:\n${lines.map((l) => `  $ ${l}`).join('\n')}\n`);
}

/**
 * A reader that closes its end early (`realabel ... --json | head -c 400`)
 * is not an error: output written after that is dropped and the command ends
 * as usual, quietly, as `cat` and `grep` stop. Commands print only after
 * their files are written (atomically), so those stay complete. Without this
 * listener the write's EPIPE would be an unhandled 'error' event: a stack trace.
 */
export function quietOnClosedOutput(streams: NodeJS.WriteStream[] = [process.stdout, process.stderr]): void {
  for (const stream of streams) {
    stream.on('error', (err: NodeJS.ErrnoException) => {
      if (err.code === 'EPIPE' || err.code === 'ERR_STREAM_DESTROYED') return;
      throw err;
    });
  }
}
