/**
 * NumPy `.npz` archives: read whole members, stream a member in row chunks
 * (so a large tensor is never held whole), and write archives atomically.
 * Sync methods inflate with the addon's zlib straight into the caller's
 * (reused) buffers, the fastest path (fflate when the addon is missing); the
 * `*Async` methods use Node's zlib streams in the libuv pool.
 */
import * as fs from 'node:fs';
import { FormatError } from '../errors';
import { withTempFileSync } from './atomic';
import { decodeData, decodeElements, encodeNpyStream, npyHeader, type NdArray } from './npy';
import { headerLength, parseDescr, parseHeader, type NpyHeader } from './npy-header';
import { AsyncMemberStream, hasDirectInflate, openMemberSync, readDirectory, writeZip, type ByteReader, type ZipEntry } from './zip';
import { openRead } from './files';

type Opened<S> = { stream: S; header: NpyHeader; where: string };

export class NpzReader {
  private readonly entries = new Map<string, ZipEntry>();

  private constructor(
    readonly file: string,
    private readonly fd: number,
  ) {
    for (const e of readDirectory(fd, file)) {
      if (e.name.endsWith('/')) continue;
      this.entries.set(e.name.replace(/\.npy$/, ''), e);
    }
  }

  static open(file: string): NpzReader {
    const fd = openRead(file);
    try {
      return new NpzReader(file, fd);
    } catch (err) {
      fs.closeSync(fd);
      throw err;
    }
  }

  names(): string[] {
    return [...this.entries.keys()];
  }

  has(name: string): boolean {
    return this.entries.has(name);
  }

  private entry(name: string): ZipEntry {
    const e = this.entries.get(name);
    if (!e) throw new FormatError(`has no array '${name}' (it holds: ${this.names().join(', ') || 'nothing'})`, this.file);
    return e;
  }

  private where(name: string): string {
    return `${this.file}[${name}]`;
  }

  /** Reads and checks a member's .npy header against the zip's declared size. */
  private headerFrom(entry: ZipEntry, where: string, first: Uint8Array, rest?: Uint8Array): NpyHeader {
    const full = rest ? concat(first, rest) : first;
    const header = parseHeader(full, where);
    if (header.dataOffset + header.dataBytes > entry.size) {
      throw new FormatError(
        `truncated: the header declares shape (${header.shape.join(', ')}) = ${header.dataBytes} data bytes but the member holds ${entry.size - header.dataOffset}`,
        where,
      );
    }
    return header;
  }

  private openSync(name: string): Opened<ReturnType<typeof openMemberSync>> {
    const entry = this.entry(name);
    const where = this.where(name);
    const stream = openMemberSync(this.fd, this.file, entry);
    const pre = stream.read(Math.min(12, entry.size));
    const total = headerLength(pre, where);
    const header = this.headerFrom(entry, where, pre, total > pre.length ? stream.read(total - pre.length) : undefined);
    return { stream, header, where };
  }

  /**
   * With the addon, the direct (synchronous) inflater, the fastest by far:
   * the async methods then yield to the event loop between chunks instead.
   */
  private async openAsync(name: string): Promise<Opened<AsyncReader>> {
    const entry = this.entry(name);
    const where = this.where(name);
    const stream: AsyncReader = hasDirectInflate() ? directAsync(openMemberSync(this.fd, this.file, entry)) : new AsyncMemberStream(this.fd, this.file, entry);
    const pre = await stream.read(Math.min(12, entry.size));
    const total = headerLength(pre, where);
    const rest = total > pre.length ? await stream.read(total - pre.length) : undefined;
    return { stream, header: this.headerFrom(entry, where, pre, rest), where };
  }

  header(name: string): { dtype: string; shape: number[] } {
    const { header } = this.openSync(name);
    return { dtype: header.dtype.name, shape: header.shape.slice() };
  }

  read(name: string): NdArray {
    const { stream, header, where } = this.openSync(name);
    const data = alignedBuffer(header.dataBytes, where);
    stream.readInto(data);
    stream.finish?.();
    return decodeData(header, data, where, true);
  }

  async readAsync(name: string): Promise<NdArray> {
    const { stream, header, where } = await this.openAsync(name);
    const data = alignedBuffer(header.dataBytes, where);
    await stream.readInto(data);
    stream.finish?.();
    await stream.close();
    return decodeData(header, data, where, true);
  }

  /**
   * Rows of a C-ordered member along axis 0, `rowsPerChunk` at a time.
   * `reuse`: as for chunksAsync.
   */
  *chunks(name: string, rowsPerChunk: number, opts: { reuse?: boolean } = {}): Iterable<{ start: number; rows: NdArray }> {
    const { stream, header, where } = this.openSync(name);
    for (const { start, count, bytes } of rowPlan(header, where, rowsPerChunk, opts.reuse)) {
      stream.readInto(bytes);
      // The last chunk is checked before it is handed out.
      if (start + count >= rowCount(header)) stream.finish?.();
      yield { start, rows: chunkArray(header, count, bytes) };
    }
    if (rowCount(header) === 0) stream.finish?.();
  }

  /**
   * `reuse`: every chunk is decoded into the same buffer (valid until the next
   * chunk), which spares the garbage collector on large members.
   */
  async *chunksAsync(name: string, rowsPerChunk: number, opts: { reuse?: boolean } = {}): AsyncIterable<{ start: number; rows: NdArray }> {
    const { stream, header, where } = await this.openAsync(name);
    try {
      for (const { start, count, bytes } of rowPlan(header, where, rowsPerChunk, opts.reuse)) {
        await stream.readInto(bytes);
        if (start + count >= rowCount(header)) stream.finish?.();
        yield { start, rows: chunkArray(header, count, bytes) };
        if (stream.direct) await new Promise<void>((resolve) => setImmediate(resolve));
      }
      if (rowCount(header) === 0) stream.finish?.();
    } finally {
      await stream.close();
    }
  }

  close(): void {
    fs.closeSync(this.fd);
  }
}

type AsyncReader = {
  readInto(t: Uint8Array): Promise<void> | void;
  read(n: number): Promise<Uint8Array> | Uint8Array;
  close(): Promise<void>;
  finish?(): void;
  direct?: boolean;
};

function directAsync(s: ReturnType<typeof openMemberSync>): AsyncReader {
  return { readInto: (t) => s.readInto(t), read: (k) => s.read(k), finish: () => s.finish?.(), close: async () => {}, direct: true };
}

function rowCount(header: NpyHeader): number {
  return header.shape.length === 0 ? 1 : header.shape[0];
}

function concat(a: Uint8Array, b: Uint8Array): Uint8Array {
  const out = new Uint8Array(a.length + b.length);
  out.set(a);
  out.set(b, a.length);
  return out;
}

/** A buffer for decoded data; allocation failure is the file's problem, not a crash. */
function alignedBuffer(bytes: number, where: string): Uint8Array {
  try {
    return new Uint8Array(bytes);
  } catch {
    throw new FormatError(`declares ${bytes} bytes of data, more than can be held in memory`, where);
  }
}

function* rowPlan(header: NpyHeader, where: string, rowsPerChunk: number, reuse = false) {
  if (header.fortranOrder && header.shape.length > 1) {
    throw new FormatError('Fortran-ordered arrays cannot be streamed in row chunks', where);
  }
  const nRows = header.shape.length === 0 ? 1 : header.shape[0];
  const rowBytes = (header.shape.length === 0 ? 1 : header.size / Math.max(1, nRows)) * header.dtype.itemsize;
  const step = Math.max(1, Math.floor(rowsPerChunk));
  let shared: Uint8Array | null = null;
  for (let start = 0; start < nRows; start += step) {
    const count = Math.min(step, nRows - start);
    if (reuse) shared ??= alignedBuffer(step * rowBytes, where);
    yield { start, count, bytes: shared ? shared.subarray(0, count * rowBytes) : alignedBuffer(count * rowBytes, where) };
  }
}

function chunkArray(header: NpyHeader, count: number, bytes: Uint8Array): NdArray {
  const rowSize = header.shape.slice(1).reduce((a, b) => a * b, 1);
  const shape = header.shape.length === 0 ? [] : [count, ...header.shape.slice(1)];
  return { dtype: header.dtype.name, shape, data: decodeElements(header.dtype, bytes, count * rowSize, true) };
}

/** Reads the named members (all when `names` is omitted). */
export function readNpz(file: string, names?: string[]): Record<string, NdArray> {
  const reader = NpzReader.open(file);
  try {
    const out: Record<string, NdArray> = {};
    for (const name of names ?? reader.names()) out[name] = reader.read(name);
    return out;
  } finally {
    reader.close();
  }
}

/** Like readNpz, on Node's native zlib. */
export async function readNpzAsync(file: string, names?: string[]): Promise<Record<string, NdArray>> {
  const reader = NpzReader.open(file);
  try {
    const out: Record<string, NdArray> = {};
    for (const name of names ?? reader.names()) out[name] = await reader.readAsync(name);
    return out;
  } finally {
    reader.close();
  }
}

/**
 * A numeric array given as its data bytes in order (C order, little-endian),
 * for arrays too big to build whole: e.g. a dense one-hot tensor expanded
 * from a compact form while it is written. Chunks may reuse one buffer.
 */
export interface StreamedArray {
  dtype: string;
  shape: number[];
  chunks: Iterable<Uint8Array>;
}

function npyMember(arr: NdArray | StreamedArray): { size: number; chunks: Iterable<Uint8Array> } {
  if (!('chunks' in arr)) return encodeNpyStream(arr);
  const head = npyHeader(arr.dtype, arr.shape);
  const bytes = parseDescr(arr.dtype).itemsize * arr.shape.reduce((a, b) => a * b, 1);
  const body = arr.chunks;
  function* chunks(): Generator<Uint8Array> {
    yield head;
    yield* body;
  }
  return { size: head.length + bytes, chunks: chunks() };
}

/** Writes an `.npz` atomically; `compress` deflates members like np.savez_compressed. */
export function writeNpz(file: string, entries: Record<string, NdArray | StreamedArray>, opts: { compress?: boolean } = {}): void {
  const inputs = Object.entries(entries).map(([name, arr]) => ({
    name: `${name}.npy`,
    ...npyMember(arr),
    compress: Boolean(opts.compress),
  }));
  withTempFileSync(file, (tmp) => {
    const fd = fs.openSync(tmp, 'w');
    try {
      writeZip(fd, inputs);
    } finally {
      fs.closeSync(fd);
    }
  });
}

export type { ByteReader };
