/**
 * Piscina pools for the stages that fan work out to worker threads. Worker
 * modules are loaded from the compiled `dist/` tree (also under ts-jest,
 * which runs `src/` directly: `npm test` builds `dist/` first).
 */
import * as os from 'node:os';
import * as path from 'node:path';
import Piscina from 'piscina';
import { AbortError, RealabelError } from '../errors';

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

/**
 * The twins' pool: every kernel's TypeScript twin can run here off the event
 * loop (the async kernel functions with backend 'ts'). Inputs are cloned into
 * the worker once (the caller keeps its arrays usable, unlike a transfer);
 * results come back transferred, not copied. Idle workers are unref'd by
 * Piscina, so the pool never keeps a process alive.
 */
let twins: Piscina | null = null;

function twinPool(): Piscina {
  if (!twins) {
    const n = resolveWorkers(undefined);
    twins = new Piscina({ filename: workerFile('native/twin-worker.ts'), minThreads: 0, maxThreads: n, idleTimeout: 500 });
    twins.on('error', () => undefined);
  }
  return twins;
}

/** A twin's failure as it crosses the thread boundary. */
export interface TwinFailure {
  code: string;
  message: string;
  row?: number;
  column?: number;
  value?: number;
}

/** Runs twin `kernel` (src/native/twin-worker.ts) on `args` in the twins' pool. */
export async function runTwin<R>(kernel: string, args: unknown[], signal?: AbortSignal): Promise<R> {
  if (signal?.aborted) throw new AbortError();
  let out: { value?: R; failure?: TwinFailure };
  try {
    // Piscina stops the task's worker when the signal fires.
    out = await twinPool().run({ kernel, args }, { signal });
  } catch (err) {
    if (signal?.aborted) throw new AbortError();
    throw workerFailed(err, `${kernel} (TypeScript twin)`);
  }
  if (out.failure) throw Object.assign(new Error(out.failure.message), out.failure);
  return out.value as R;
}

/** Stops the twins' pool (tests; a process exits without it). */
export async function closeTwinPool(): Promise<void> {
  const pool = twins;
  twins = null;
  if (pool) await pool.destroy();
}
