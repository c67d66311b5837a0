/**
 * Piscina worker for `propose`: streams one model's .npy file in row chunks
 * through a ModelScanner. Only one chunk of the model is in memory at a time.
 * Errors come back as data (typed errors do not survive the thread boundary).
 */
import { FormatError, RealabelError } from '../errors';
import { NpyReader, checkReadSize } from '../io/npy';
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

/**
 * Row chunks of a logits file, through NpyReader.rowChunks: little-endian
 * f4/f8 (what numpy writes) are read straight into one buffer that this
 * worker reuses for every chunk and every model (no per-chunk or per-model
 * allocation or copy); anything else is decoded per chunk (byte swapping, f2).
 */
function* chunks(reader: NpyReader, rowsPerChunk: number): Generator<{ rows: Float32Array | Float64Array; count: number }> {
  for (const { count, data } of reader.rowChunks(rowsPerChunk)) yield { rows: data as Float32Array | Float64Array, count };
}

export function scanFile(task: ScanTask): ModelScan & { n: number; c: number } {
  const reader = NpyReader.open(task.file);
  try {
    if (reader.shape.length !== 2) throw new FormatError(`logits must be 2-D [N, C], got shape (${reader.shape.join(', ')})`, task.file);
    const [n, c] = reader.shape;
    const scanner = new ModelScanner(n, c, task.k, { threads: task.threads, backend: task.backend, file: task.file });
    const rowsPerChunk = Math.max(1, Math.floor(task.chunkBytes / (c * reader.header.dtype.itemsize)));
    checkReadSize(rowsPerChunk * c * reader.header.dtype.itemsize, task.file, 'one row of logits');
    for (const { rows, count } of chunks(reader, rowsPerChunk)) scanner.push(rows, count);
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
