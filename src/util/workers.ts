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

/** Absolute path of a compiled worker module, given its path under src/ (an absolute path is kept). */
export function workerFile(srcRelative: string): string {
  if (path.isAbsolute(srcRelative)) return srcRelative;
  return path.join(ROOT, 'dist', srcRelative.replace(/\.ts$/, '.js'));
}

/** Resolves `--workers 0` (all cores) to a count. */
export function resolveWorkers(requested: number | undefined): number {
  if (requested && requested > 0) return requested;
  return Math.max(1, os.availableParallelism());
}

interface Waiting {
  task: unknown;
  name?: string;
  resolve(v: unknown): void;
  reject(e: unknown): void;
  /** Removes the abort listener once the task has settled. */
  done?: () => void;
}

/**
 * A worker pool that never terminates a busy worker. Terminating a thread
 * while it is inside a native call (onnxruntime's session.run, a sharp
 * pipeline, the addon) can abort the whole process ("terminate called after
 * throwing an instance of 'Napi::Error'"), so `destroy()` first lets the
 * tasks already running finish (Promise.allSettled), then terminates idle
 * workers. To make that wait short, at most one task per thread is handed to
 * Piscina at a time; the rest wait here and are cancelled by `destroy()`.
 */
export class WorkerPool {
  /** Worker threads (each runs one task at a time). */
  readonly threads: number;
  private readonly pool: Piscina;
  private readonly waiting: Waiting[] = [];
  private readonly running = new Set<Promise<unknown>>();
  private closed = false;

  constructor(srcRelative: string, workers: number | undefined) {
    this.threads = resolveWorkers(workers);
    const n = this.threads;
    this.pool = new Piscina({ filename: workerFile(srcRelative), minThreads: n, maxThreads: n, idleTimeout: 1000 });
    // Failures reach callers as rejected tasks; without a listener a stray
    // 'error' event would crash the process with a stack trace.
    this.pool.on('error', () => undefined);
  }

  /**
   * Runs `task` in a worker (`name`: the worker module's export to call).
   * When `signal` aborts, the returned promise rejects at once with an
   * AbortError; a task not yet started is dropped, a running one is left to
   * finish (never terminated mid-call) and `destroy()` waits for it.
   */
  run<R = unknown>(task: unknown, opts: { name?: string; signal?: AbortSignal } = {}): Promise<R> {
    if (this.closed) return Promise.reject(new Error('internal: task submitted to a destroyed worker pool'));
    const { signal } = opts;
    if (signal?.aborted) return Promise.reject(new AbortError());
    return new Promise<R>((resolve, reject) => {
      const entry: Waiting = { task, name: opts.name, resolve: resolve as (v: unknown) => void, reject };
      if (signal) {
        const onAbort = (): void => {
          const i = this.waiting.indexOf(entry);
          if (i >= 0) this.waiting.splice(i, 1);
          reject(new AbortError());
        };
        signal.addEventListener('abort', onAbort, { once: true });
        entry.done = () => signal.removeEventListener('abort', onAbort);
      }
      this.waiting.push(entry);
      this.pump();
    });
  }

  private pump(): void {
    while (this.running.size < this.threads && this.waiting.length > 0) {
      const entry = this.waiting.shift()!;
      const p = this.pool.run(entry.task, entry.name ? { name: entry.name } : {});
      this.running.add(p);
      p.then(entry.resolve, entry.reject).finally(() => {
        entry.done?.();
        this.running.delete(p);
        if (!this.closed) this.pump();
      });
    }
  }

  /**
   * Cancels the tasks not yet started, waits for the running ones to settle,
   * then terminates the workers. Every stage ends its pool here (in a
   * `finally`), on success, failure and interrupt alike.
   */
  async destroy(): Promise<void> {
    this.closed = true;
    for (const w of this.waiting.splice(0)) {
      w.done?.();
      w.reject(new Error('internal: task cancelled: its worker pool was destroyed'));
    }
    await Promise.allSettled([...this.running]);
    await this.pool.destroy();
  }
}

export function createPool(srcRelative: string, workers: number | undefined): WorkerPool {
  return new WorkerPool(srcRelative, workers);
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
