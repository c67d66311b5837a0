/**
 * Piscina worker for `propose`: streams one model's .npy file in row chunks
 * through a ModelScanner. Only one chunk of the model is in memory at a time.
 * Errors come back as data (typed errors do not survive the thread boundary).
 */
import { NpyReader } from '../io/npy';
import { RealabelError } from '../errors';
import type { Backend } from '../native/addon';
import { ModelScanner, type ModelScan } from './scan';

export interface ScanTask {
  file: string;
  k: number;
  threads?: number;
  backend?: Backend;
  chunkBytes: number;
}

export type ScanResult =
  | { ok: true; scan: ModelScan; n: number; c: number }
  | { ok: false; error: { name: string; code?: string; message: string; file?: string } };

export function scanFile(task: ScanTask): ModelScan & { n: number; c: number } {
  const reader = NpyReader.open(task.file);
  try {
    const [n, c] = reader.shape;
    const scanner = new ModelScanner(n, c, task.k, { threads: task.threads, backend: task.backend, file: task.file });
    const itemsize = reader.dtype === 'f8' ? 8 : 4;
    const rowsPerChunk = Math.max(1, Math.floor(task.chunkBytes / (c * itemsize)));
    for (let start = 0; start < n; start += rowsPerChunk) {
      const count = Math.min(rowsPerChunk, n - start);
      const chunk = reader.readRows(start, count);
      scanner.push(chunk.data as Float32Array | Float64Array, count);
    }
    return { ...scanner.finish(), n, c };
  } finally {
    reader.close();
  }
}

export default function scanTask(task: ScanTask): ScanResult {
  try {
    const { n, c, ...scan } = scanFile(task);
    return { ok: true, scan, n, c };
  } catch (err) {
    const e = err as Error & { code?: string; file?: string };
    if (err instanceof RealabelError) return { ok: false, error: { name: e.name, code: e.code, message: e.message, file: e.file } };
    return { ok: false, error: { name: e?.name ?? 'Error', message: e?.message ?? String(err) } };
  }
}
