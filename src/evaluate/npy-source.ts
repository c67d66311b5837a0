/**
 * Prediction files (.npy): int [N] top-1 classes, or float [N, C] scores
 * streamed in row chunks. Little-endian C-ordered float chunks are read into
 * one reused buffer and viewed in place (no per-chunk allocation or copy):
 * at 50,000 x 1,000 x 20 models, reading is the cost that matters.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { FormatError, UnsupportedError, ValidationError } from '../errors';
import { toInt32 } from '../io/convert';
import { borrowBuffer, giveBack } from '../io/buffer-pool';
import { NpyReader, checkReadSize, decodeElements } from '../io/npy';
import type { PredictionSource, ScoreChunk } from './sources';
import type { ScoreArray } from './topk';

const INT = new Set(['i1', 'i2', 'i4', 'i8', 'u1', 'u2', 'u4', 'u8']);
const FLOAT = new Set(['f2', 'f4', 'f8']);
/** Class indices are int32. */
const MAX_CLASSES = 2 ** 31 - 1;

export interface OpenedSource {
  source: PredictionSource;
  close(): void;
}

/** Opens a predictions file; the caller must close() it. */
export function openPredictions(file: string, name = modelName(file)): OpenedSource {
  const reader = NpyReader.open(file);
  try {
    const { dtype, shape } = reader;
    if (INT.has(dtype) && shape.length === 1) {
      const top1 = toInt32(reader.readRows(0, shape[0]), file, 'predictions');
      reader.close();
      return { source: { kind: 'top1', name, file, n: shape[0], top1 }, close: () => {} };
    }
    if (FLOAT.has(dtype) && shape.length === 2) {
      if (shape[1] < 1) throw new FormatError(`score matrix has no columns (shape (${shape.join(', ')}))`, file);
      if (shape[1] > MAX_CLASSES) throw new ValidationError(`shape (${shape.join(', ')}) is not supported: more than 2^31 - 1 classes`, file);
      checkReadSize(shape[1] * reader.header.dtype.itemsize, file, 'one row of scores');
      const source: PredictionSource = {
        kind: 'scores', name, file, n: shape[0], c: shape[1],
        chunks: (rows) => readScoreChunks(reader, rows),
        chunksAsync: (rows) => readScoreChunksAhead(reader, rows),
      };
      return { source, close: () => reader.close() };
    }
    const kind = INT.has(dtype) || FLOAT.has(dtype) ? FormatError : UnsupportedError;
    throw new kind(
      `expected int [N] top-1 predictions or float [N, C] scores, got dtype '${dtype}' with shape (${shape.join(', ')})`,
      file,
    );
  } catch (err) {
    try { reader.close(); } catch { /* already closed */ }
    throw err;
  }
}

/** The model name for a file: its base name without extension. */
export function modelName(file: string): string {
  return path.basename(file).replace(/\.npy$/i, '');
}

/** Unique names for several files (a repeated base name gets its directory). */
export function modelNames(files: string[]): string[] {
  const base = files.map(modelName);
  return base.map((b, i) => (base.indexOf(b) !== base.lastIndexOf(b) ? `${path.basename(path.dirname(path.resolve(files[i])))}/${b}` : b));
}

/** Rows, columns and row size of a streamable (C-ordered) score matrix. */
function scoreLayout(reader: NpyReader): { header: NpyReader['header']; n: number; c: number; rowBytes: number } {
  const { header } = reader;
  if (header.fortranOrder) {
    throw new UnsupportedError('Fortran-ordered score matrices cannot be streamed; save with np.ascontiguousarray', reader.file);
  }
  const [n, c] = reader.shape;
  return { header, n, c, rowBytes: c * header.dtype.itemsize };
}

export function* readScoreChunks(reader: NpyReader, rowsPerChunk: number): Iterable<ScoreChunk> {
  const { header, n, c, rowBytes } = scoreLayout(reader);
  // Each chunk is consumed before the next read, so one buffer serves them
  // all, and the next file too (buffer-pool.ts).
  const buf = borrowBuffer(Math.min(n, rowsPerChunk) * rowBytes);
  try {
    for (let start = 0; start < n; start += rowsPerChunk) {
      const rows = Math.min(rowsPerChunk, n - start);
      const bytes = buf.subarray(0, rows * rowBytes);
      reader.readRowBytesInto(start, rows, bytes);
      yield { start, rows, scores: decodeElements(header.dtype, bytes, rows * c, true) as ScoreArray };
    }
  } finally {
    giveBack(buf);
  }
}

/**
 * Like readScoreChunks, but with two buffers: chunk i + 1 is read in the libuv
 * thread pool while the consumer works on chunk i (it must be done with a
 * chunk before asking for the next one, which reuses that chunk's buffer).
 */
export async function* readScoreChunksAhead(reader: NpyReader, rowsPerChunk: number): AsyncIterable<ScoreChunk> {
  const { header, n, c, rowBytes } = scoreLayout(reader);
  const size = Math.min(n, rowsPerChunk) * rowBytes;
  const bufs = [borrowBuffer(size), borrowBuffer(n > rowsPerChunk ? size : 0)];
  const read = (start: number, buf: Uint8Array) => {
    const rows = Math.min(rowsPerChunk, n - start);
    const bytes = buf.subarray(0, rows * rowBytes);
    return readFully(reader, bytes, header.dataOffset + start * rowBytes).then(() => ({ start, rows, bytes }));
  };
  let pending = n > 0 ? read(0, bufs[0]) : null;
  try {
    for (let i = 0; pending; i++) {
      const { start, rows, bytes } = await pending;
      const next = start + rows;
      pending = next < n ? read(next, bufs[(i + 1) % 2]) : null;
      yield { start, rows, scores: decodeElements(header.dtype, bytes, rows * c, true) as ScoreArray };
    }
  } finally {
    // A consumer that stops early (an error) must not close the file under a read in flight.
    await pending?.catch(() => {});
    for (const b of bufs) giveBack(b);
  }
}

function readFully(reader: NpyReader, into: Uint8Array, offset: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const step = (got: number) => {
      if (got === into.length) return resolve();
      fs.read(reader.fd, into, got, into.length - got, offset + got, (err, r) => {
        if (err) return reject(new FormatError(`cannot read (${err.code ?? err.message})`, reader.file));
        if (r === 0) return reject(new FormatError(`truncated at byte ${offset + got}`, reader.file));
        step(got + r);
      });
    };
    step(0);
  });
}

