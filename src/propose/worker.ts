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
 * Row chunks of a logits file. Little-endian f4/f8 (what numpy writes) are
 * read straight into one reused buffer: no per-chunk allocation or copy.
 * Anything else goes through NpyReader.readRows (byte swapping, f2).
 */
function* chunks(reader: NpyReader, rowsPerChunk: number): Generator<{ rows: Float32Array | Float64Array; count: number }> {
  const [n, c] = reader.shape;
  const { dtype } = reader.header;
  const direct = !dtype.bigEndian && (dtype.name === 'f4' || dtype.name === 'f8');
  const buf = direct ? (dtype.name === 'f4' ? new Float32Array(rowsPerChunk * c) : new Float64Array(rowsPerChunk * c)) : undefined;
  for (let start = 0; start < n; start += rowsPerChunk) {
    const count = Math.min(rowsPerChunk, n - start);
    if (!buf) {
      yield { rows: reader.readRows(start, count).data as Float32Array | Float64Array, count };
      continue;
    }
    reader.readRowBytesInto(start, count, new Uint8Array(buf.buffer, 0, count * c * dtype.itemsize));
    yield { rows: buf, count };
  }
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
