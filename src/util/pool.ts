/**
 * Piscina pools for the stages that fan work out to worker threads. Worker
 * modules are loaded from the compiled `dist/` tree (also under ts-jest,
 * which runs `src/` directly: `npm test` builds `dist/` first).
 */
import * as os from 'node:os';
import * as path from 'node:path';
import Piscina from 'piscina';

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
  return new Piscina({ filename: workerFile(srcRelative), minThreads: n, maxThreads: n, idleTimeout: 1000 });
}
