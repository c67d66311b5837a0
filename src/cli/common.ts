/**
 * Shared CLI plumbing: exit codes, --json output, option parsers.
 * Exit 0 on success, 1 on a user error (one line naming the file and the
 * problem), 2 on an internal error.
 */
import { Command, InvalidArgumentError, Option } from 'commander';
import { RealabelError } from '../errors';
import { BACKENDS, hasNative, type Backend } from '../native/addon';

export const EXIT_USER = 1;
export const EXIT_INTERNAL = 2;

/**
 * Wraps a command action so errors map to exit codes and one-line messages,
 * with the library's option names shown as this command's flags. `aliases`:
 * library option names whose flag is not their kebab-case (e.g.
 * pseudoRaters -> --pseudo-rater).
 */
export function action<A extends unknown[]>(
  fn: (...args: A) => Promise<void> | void,
  aliases: Record<string, string> = {},
): (...args: A) => Promise<void> {
  return async (...args: A) => {
    try {
      await fn(...args);
    } catch (err) {
      // commander passes the command itself as the action's last argument
      const cmd = args[args.length - 1];
      process.exitCode = reportError(err, cmd instanceof Command ? flagsOf(cmd, aliases) : undefined);
    }
  };
}

/** Library option name -> flag, for every option of `cmd`. */
function flagsOf(cmd: Command, aliases: Record<string, string>): Map<string, string> {
  const flags = new Map<string, string>();
  for (const o of cmd.options) if (o.long) flags.set(o.attributeName(), o.long);
  for (const [name, flag] of Object.entries(aliases)) flags.set(name, flag);
  return flags;
}

/** The library writes option names in backticks (`minVotes`); the CLI shows the flag (--min-votes). */
export function withFlags(message: string, flags?: Map<string, string>): string {
  return message.replace(/`([A-Za-z][A-Za-z0-9]*)`/g, (_, name: string) => flags?.get(name) ?? name);
}

export function reportError(err: unknown, flags?: Map<string, string>): number {
  if (err instanceof RealabelError) {
    process.stderr.write(`realabel: ${oneLine(withFlags(err.message, flags))}\n`);
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

export { printJson } from './json';

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

/**
 * Adds `--backend auto|native|cuda|ts` (which kernels run; docs/gpu.md for cuda).
 * REALABEL_CUDA=0 keeps `auto` off the GPU (cliBackend): the environment is
 * read here, in the CLI, and reaches the library as the `backend` option.
 */
export function backendOption(cmd: Command): Command {
  const help = 'kernels: native (C++), cuda (GPU, optional module), ts (the TypeScript twins) or auto (GPU if present, else native)';
  return cmd
    .addOption(new Option('--backend <b>', help).choices([...BACKENDS]).default('auto'))
    .hook('preAction', (c) => {
      c.setOptionValue('backend', cliBackend(c.getOptionValue('backend') as Backend));
    });
}

/** `backend` after the environment: with REALABEL_CUDA=0, 'auto' is the CPU's choice (native when loaded, else the twins). */
export function cliBackend(backend: Backend, env: NodeJS.ProcessEnv = process.env): Backend {
  if (backend !== 'auto' || env.REALABEL_CUDA !== '0') return backend;
  return hasNative() ? 'native' : 'ts';
}

/** Adds `--workers N` (Piscina worker threads; 0 = all cores). */
export function workersOption(cmd: Command): Command {
  return cmd.option('--workers <n>', 'worker threads in the pool (0 = all cores)', parseIntArg('--workers', 0, 1024), 0);
}

/** Adds `--cluster redis://HOST:PORT` (run on `realabel cluster worker` processes; same output bytes). */
export function clusterOption(cmd: Command): Command {
  return cmd.option('--cluster <url>', 'run sharded over realabel cluster workers on this Redis (redis://HOST:PORT); the output is byte-identical');
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
