/**
 * Piscina pools for the stages that fan work out to worker threads. Worker
 * modules are loaded from the compiled `dist/` tree (also under ts-jest,
 * which runs `src/` directly: `npm test` builds `dist/` first).
 */
import * as os from 'node:os';
import * as path from 'node:path';
import Piscina from 'piscina';
import { RealabelError } from '../errors';

const ROOT = path.resolve(__dirname, '..', '..');

/** Absolute path of a compiled worker module, given its path under src/. */
export function workerFile(srcRelative: string): string {
  return path.join(ROOT, 'dist', srcRelative.replace(/\.ts$/, '.js'));
}

/** Resolves `--workers 0` (all cores) to a count. */
export function resolveWorkers(requested: number | undefined): number {
  if (requested && requested > 0) return requested;
  return Math.max(1, os.availableParallelism());
}

export function createPool(srcRelative: string, workers: number | undefined): Piscina {
  const n = resolveWorkers(workers);
  const pool = new Piscina({ filename: workerFile(srcRelative), minThreads: n, maxThreads: n, idleTimeout: 1000 });
  // Failures reach callers as rejected tasks. Once one task has failed and the
  // pool is being destroyed, the other workers' late answers arrive for tasks
  // nobody waits for: Piscina emits them as 'error', which with no listener
  // would crash the process with a stack trace instead of the clean message.
  pool.on('error', () => undefined);
  return pool;
}

/**
 * The error of a task whose worker threw a plain error or died (exit,
 * crash): an internal error (exit 2) naming what the task was working on.
 * Typed errors pass through unchanged.
 */
export function workerFailed(err: unknown, what: string): Error {
  if (err instanceof RealabelError) return err;
  const message = (err as Error)?.message ?? String(err);
  return new Error(`${what}: worker failed: ${message.split('\n')[0]}`);
}
