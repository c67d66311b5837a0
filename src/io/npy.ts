/**
 * NumPy `.npy` reading and writing (format versions 1-3, either byte order,
 * dtypes f2 f4 f8, i1-i8, u1-u8, b1, <Un, |Sn). Fortran-ordered arrays are
 * transposed to C order on a whole-array read and refused by the row reader.
 */
import { constants as bufferConstants } from 'node:buffer';
import * as fs from 'node:fs';
import { FormatError, UnsupportedError } from '../errors';
import { withTempFileSync } from './atomic';
import { borrowBuffer, giveBack } from './buffer-pool';
import { encodeHeader, headerLength, parseHeader, type DType, type NpyHeader } from './npy-header';
import { openRead, readExact } from './files';
import { unicodeWidth } from '../util/extent';

export type { DType, NpyHeader } from './npy-header';

export type NumericArray =
  | Float32Array
  | Float64Array
  | Int8Array
  | Int16Array
  | Int32Array
  | Uint8Array
  | Uint16Array
  | Uint32Array
  | BigInt64Array
  | BigUint64Array;

export interface NdArray {
  /** 'f4', 'f8', 'f2', 'i2', 'u1', 'b1', 'U28', 'S5'... (no byte-order character). */
  dtype: string;
  shape: number[];
  /** f2 decodes to Float32Array, i8/u8 to BigInt64Array/BigUint64Array, b1 to Uint8Array, U/S to string[]. */
  data: NumericArray | string[];
}

type Ctor = { new (n: number): NumericArray; BYTES_PER_ELEMENT: number };

const CTORS: Record<string, Ctor> = {
  f4: Float32Array,
  f8: Float64Array,
  i1: Int8Array,
  i2: Int16Array,
  i4: Int32Array,
  i8: BigInt64Array,
  u1: Uint8Array,
  u2: Uint16Array,
  u4: Uint32Array,
  u8: BigUint64Array,
  b1: Uint8Array,
};

/** Decodes `count` elements of raw little/big-endian bytes into a fresh array. */
export function decodeElements(dtype: DType, raw: Uint8Array, count: number, adopt = false): NumericArray | string[] {
  if (dtype.kind === 'U' || dtype.kind === 'S') return decodeStrings(dtype, raw, count);
  if (dtype.name === 'f2') return decodeHalf(raw, count, dtype.bigEndian);
  const ctor = CTORS[dtype.name];
  // A buffer the caller owns, aligned and little-endian, becomes the array without a copy.
  if (adopt && (!dtype.bigEndian || dtype.itemsize === 1) && dtype.name !== 'b1' && raw.byteOffset % dtype.itemsize === 0) {
    return new (ctor as unknown as new (b: ArrayBufferLike, o: number, n: number) => NumericArray)(raw.buffer, raw.byteOffset, count);
  }
  const out = new ctor(count);
  const bytes = new Uint8Array(out.buffer, 0, count * dtype.itemsize);
  bytes.set(raw.subarray(0, count * dtype.itemsize));
  if (dtype.bigEndian && dtype.itemsize > 1) swapBytes(bytes, dtype.itemsize);
  if (dtype.name === 'b1') {
    for (let i = 0; i < count; i++) if (bytes[i] > 1) bytes[i] = 1;
  }
  return out;
}

function swapBytes(bytes: Uint8Array, width: number): void {
  for (let i = 0; i < bytes.length; i += width) {
    for (let a = i, b = i + width - 1; a < b; a++, b--) {
      const t = bytes[a];
      bytes[a] = bytes[b];
      bytes[b] = t;
    }
  }
}

function decodeHalf(raw: Uint8Array, count: number, bigEndian: boolean): Float32Array {
  const out = new Float32Array(count);
  for (let i = 0; i < count; i++) {
    const lo = raw[2 * i + (bigEndian ? 1 : 0)];
    const hi = raw[2 * i + (bigEndian ? 0 : 1)];
    out[i] = halfToFloat((hi << 8) | lo);
  }
  return out;
}

export function halfToFloat(h: number): number {
  const sign = h & 0x8000 ? -1 : 1;
  const exp = (h >> 10) & 0x1f;
  const frac = h & 0x3ff;
  if (exp === 0) return sign * frac * 2 ** -24;
  if (exp === 31) return frac ? NaN : sign * Infinity;
  return sign * (1 + frac / 1024) * 2 ** (exp - 15);
}

function decodeStrings(dtype: DType, raw: Uint8Array, count: number): string[] {
  const out = new Array<string>(count);
  if (dtype.kind === 'S') {
    for (let i = 0; i < count; i++) {
      const base = i * dtype.itemsize;
      let end = base + dtype.itemsize;
      while (end > base && raw[end - 1] === 0) end--;
      let s = '';
      for (let k = base; k < end; k++) s += String.fromCharCode(raw[k]);
      out[i] = s;
    }
    return out;
  }
  const chars = dtype.itemsize / 4;
  const units = utf32Units(raw.subarray(0, count * dtype.itemsize), dtype.bigEndian);
  if (count > 64 && !units.some((u) => u > 0xffff)) return decodeBmpStrings(units, count, chars);
  for (let i = 0; i < count; i++) {
    const base = i * chars;
    let end = base + chars;
    while (end > base && units[end - 1] === 0) end--;
    out[i] = codesToString(units.subarray(base, end));
  }
  return out;
}

/**
 * UTF-32 strings with no character beyond U+FFFF: every code unit is one
 * UTF-16 unit, so the whole array decodes as one string and each item is a
 * slice of it (370,000 ReaL file names took 0.3 s one String.fromCharCode at
 * a time).
 */
function decodeBmpStrings(units: Uint32Array, count: number, chars: number): string[] {
  const u16 = new Uint16Array(units.length);
  u16.set(units);
  // Lone surrogates must survive as they were (codesToString keeps them): no TextDecoder.
  const all = u16ToString(u16);
  const out = new Array<string>(count);
  for (let i = 0; i < count; i++) {
    const base = i * chars;
    let end = base + chars;
    while (end > base && units[end - 1] === 0) end--;
    out[i] = all.slice(base, end);
  }
  return out;
}

function u16ToString(u16: Uint16Array): string {
  const parts: string[] = [];
  for (let at = 0; at < u16.length; at += 4096) parts.push(String.fromCharCode.apply(null, u16.subarray(at, at + 4096) as unknown as number[]));
  return parts.join('');
}

function utf32Units(raw: Uint8Array, bigEndian: boolean): Uint32Array {
  const n = raw.length >> 2;
  if (!bigEndian && raw.byteOffset % 4 === 0) return new Uint32Array(raw.buffer, raw.byteOffset, n);
  const out = new Uint32Array(n);
  const dv = new DataView(raw.buffer, raw.byteOffset, raw.byteLength);
  for (let i = 0; i < n; i++) out[i] = dv.getUint32(4 * i, !bigEndian);
  return out;
}

function codesToString(codes: Uint32Array): string {
  let simple = true;
  for (let i = 0; i < codes.length; i++) if (codes[i] > 0xffff) simple = false;
  if (simple && codes.length <= 4096) return String.fromCharCode.apply(null, codes as unknown as number[]);
  return Array.from(codes, (c) => (c <= 0x10ffff ? String.fromCodePoint(c) : '\ufffd')).join('');
}

/** C-order copy of a Fortran-ordered array of any rank. */
function fortranToC<T extends { length: number; [i: number]: unknown }>(src: T, out: T, shape: number[]): T {
  const rank = shape.length;
  const fstride = new Array<number>(rank);
  let s = 1;
  for (let d = 0; d < rank; d++) {
    fstride[d] = s;
    s *= shape[d];
  }
  const idx = new Array<number>(rank).fill(0);
  for (let c = 0; c < src.length; c++) {
    let f = 0;
    for (let d = 0; d < rank; d++) f += idx[d] * fstride[d];
    out[c] = src[f];
    for (let d = rank - 1; d >= 0; d--) {
      if (++idx[d] < shape[d]) break;
      idx[d] = 0;
    }
  }
  return out;
}

/** Decodes the data part of a parsed header from bytes that start at the data. */
export function decodeData(header: NpyHeader, data: Uint8Array, file?: string, adopt = false): NdArray {
  if (data.length < header.dataBytes) {
    throw new FormatError(
      `truncated: the header declares shape (${header.shape.join(', ')}) = ${header.dataBytes} data bytes but only ${data.length} are present`,
      file,
    );
  }
  let values = decodeElements(header.dtype, data, header.size, adopt);
  if (header.fortranOrder && header.shape.length > 1) {
    const out = Array.isArray(values) ? new Array<string>(values.length) : new (values.constructor as Ctor)(values.length);
    values = fortranToC(values as never, out as never, header.shape);
  }
  return { dtype: header.dtype.name, shape: header.shape.slice(), data: values };
}

/** Parses a whole `.npy` held in memory. */
export function parseNpy(bytes: Uint8Array, file?: string): NdArray {
  const header = parseHeader(bytes, file);
  return decodeData(header, bytes.subarray(header.dataOffset), file);
}

/** Reads a whole `.npy` file. */
export function readNpy(file: string): NdArray {
  const reader = NpyReader.open(file);
  try {
    if (reader.header.fortranOrder && reader.shape.length > 1) {
      const bytes = readRange(reader.fd, file, reader.header.dataOffset, reader.header.dataBytes);
      return decodeData(reader.header, bytes, file);
    }
    return reader.readRows(0, reader.shape.length === 0 ? 1 : reader.shape[0]);
  } finally {
    reader.close();
  }
}

/** The most bytes one read may hold: Node's largest Buffer (4 GiB on 64-bit Node 20). */
export const MAX_READ_BYTES = bufferConstants.MAX_LENGTH;

/** A read of `bytes` at once must fit in one Buffer; else a FormatError naming the file. */
export function checkReadSize(bytes: number, file: string, what = 'this read'): void {
  if (bytes > MAX_READ_BYTES) {
    throw new FormatError(`${what} needs ${bytes} bytes at once, more than one buffer can hold (${MAX_READ_BYTES})`, file);
  }
}

function readRange(fd: number, file: string, offset: number, length: number): Uint8Array {
  checkReadSize(length, file, 'the array');
  const buf = Buffer.allocUnsafe(length);
  readExact(fd, file, buf, offset);
  return buf;
}


/**
 * Reads a `.npy` file in row chunks (along axis 0) without holding all of it:
 * the way to stream a large logit matrix.
 */
export class NpyReader {
  private constructor(
    readonly file: string,
    readonly fd: number,
    readonly header: NpyHeader,
  ) {}

  static open(file: string): NpyReader {
    const fd = openRead(file);
    try {
      const size = fs.fstatSync(fd).size;
      const head = Buffer.alloc(Math.min(size, 12));
      fs.readSync(fd, head, 0, head.length, 0);
      const total = headerLength(head, file);
      if (total > size) throw new FormatError('truncated .npy header', file);
      const header = parseHeader(readRange(fd, file, 0, total), file);
      if (header.dataOffset + header.dataBytes > size) {
        throw new FormatError(
          `truncated: the header declares shape (${header.shape.join(', ')}) = ${header.dataBytes} data bytes but the file holds ${size - header.dataOffset}`,
          file,
        );
      }
      return new NpyReader(file, fd, header);
    } catch (err) {
      fs.closeSync(fd);
      throw err;
    }
  }

  get dtype(): string {
    return this.header.dtype.name;
  }

  get shape(): number[] {
    return this.header.shape;
  }

  /** Elements per row (product of all but the first dimension). */
  get rowSize(): number {
    return this.header.shape.slice(1).reduce((a, b) => a * b, 1);
  }

  /** Byte offset and length of rows [start, start + count), checked. */
  private rowSpan(start: number, count: number): { offset: number; length: number } {
    const { header, file } = this;
    if (header.fortranOrder && header.shape.length > 1) {
      throw new UnsupportedError('Fortran-ordered arrays cannot be read in row chunks; save with np.ascontiguousarray', file);
    }
    const rows = header.shape.length === 0 ? 1 : header.shape[0];
    if (!Number.isInteger(start) || !Number.isInteger(count) || start < 0 || count < 0 || start + count > rows) {
      throw new RangeError(`rows [${start}, ${start + count}) out of range for ${rows} rows`);
    }
    const rowBytes = this.rowSize * header.dtype.itemsize;
    return { offset: header.dataOffset + start * rowBytes, length: count * rowBytes };
  }

  /** Rows [start, start + count) as a C-ordered array of shape [count, ...shape[1:]]. */
  readRows(start: number, count: number): NdArray {
    const { header } = this;
    const { offset, length } = this.rowSpan(start, count);
    const bytes = readRange(this.fd, this.file, offset, length);
    const shape = header.shape.length === 0 ? [] : [count, ...header.shape.slice(1)];
    return { dtype: header.dtype.name, shape, data: decodeElements(header.dtype, bytes, count * this.rowSize) };
  }

  /**
   * Rows along axis 0, `rowsPerChunk` at a time. Little-endian (or 1-byte)
   * numeric data is read straight into a ring of `slots` reused buffers and
   * viewed in place, since fresh memory per chunk costs more than the read
   * itself here (first touch): a chunk stays valid until `slots` more chunks
   * have been taken (1: until the next; 2 lets a consumer work on one chunk
   * off the thread while the next is read), or until the generator is
   * finished or returned: the buffers then go back to the pool
   * (buffer-pool.ts). Other dtypes are decoded into fresh arrays per chunk.
   */
  *rowChunks(rowsPerChunk: number, slots = 1): Generator<{ start: number; count: number; data: NumericArray | string[] }> {
    const { header } = this;
    const rows = header.shape.length === 0 ? 1 : header.shape[0];
    const step = Math.max(1, Math.floor(rowsPerChunk));
    const ring = Math.max(1, Math.floor(slots));
    const { dtype } = header;
    const direct = (!dtype.bigEndian || dtype.itemsize === 1) && dtype.name in CTORS && dtype.name !== 'b1';
    const rowBytes = this.rowSize * dtype.itemsize;
    const bufs: Uint8Array[] = [];
    try {
      for (let start = 0, i = 0; start < rows; start += step, i++) {
        const count = Math.min(step, rows - start);
        if (!direct) {
          yield { start, count, data: this.readRows(start, count).data };
          continue;
        }
        const slot = i % ring;
        if (!bufs[slot]) {
          checkReadSize(Math.min(step, rows) * rowBytes, this.file, 'one chunk of rows');
          bufs[slot] = borrowBuffer(Math.min(step, rows) * rowBytes);
        }
        const bytes = bufs[slot].subarray(0, count * rowBytes);
        this.readRowBytesInto(start, count, bytes);
        yield { start, count, data: decodeElements(dtype, bytes, count * this.rowSize, true) };
      }
    } finally {
      for (const b of bufs) giveBack(b);
    }
  }

  /** The raw file bytes of rows [start, start + count) into `into` (exactly that long): a reusable buffer for streaming. */
  readRowBytesInto(start: number, count: number, into: Uint8Array): void {
    const { offset, length } = this.rowSpan(start, count);
    if (into.length !== length) throw new RangeError(`rows [${start}, ${start + count}) are ${length} bytes, the buffer holds ${into.length}`);
    readExact(this.fd, this.file, into, offset);
  }

  close(): void {
    fs.closeSync(this.fd);
  }
}

/** dtype name for a typed array. */
export function dtypeOf(data: NumericArray | string[]): string {
  if (Array.isArray(data)) {
    return `U${unicodeWidth(data)}`;
  }
  if (data instanceof Float32Array) return 'f4';
  if (data instanceof Float64Array) return 'f8';
  if (data instanceof Int8Array) return 'i1';
  if (data instanceof Int16Array) return 'i2';
  if (data instanceof Int32Array) return 'i4';
  if (data instanceof BigInt64Array) return 'i8';
  if (data instanceof Uint8Array) return 'u1';
  if (data instanceof Uint16Array) return 'u2';
  if (data instanceof Uint32Array) return 'u4';
  return 'u8';
}

/** The header bytes realabel writes for an array of this dtype and shape. */
export function npyHeader(dtype: string, shape: readonly number[]): Uint8Array {
  return encodeHeader(dtype, shape);
}

/** Little-endian data bytes of an array in the given dtype. */
export function encodeData(arr: NdArray): Uint8Array {
  const { data, dtype } = arr;
  if (Array.isArray(data)) return encodeStrings(data, dtype);
  if (dtype === 'f2') throw new UnsupportedError('writing float16 is not supported; write f4');
  const expected = CTORS[dtype];
  if (!expected || !(data instanceof (expected as unknown as typeof Uint8Array))) {
    if (!(dtype === 'b1' && data instanceof Uint8Array)) {
      throw new TypeError(`data does not match dtype '${dtype}'`);
    }
  }
  return new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
}

function encodeStrings(data: string[], dtype: string): Uint8Array {
  const m = /^([US])(\d+)$/.exec(dtype);
  if (!m) throw new TypeError(`string data needs a U or S dtype, got '${dtype}'`);
  const item = (m[1] === 'U' ? 4 : 1) * Number(m[2]);
  return encodeStringsInto(data, dtype, new Uint8Array(item * data.length));
}

/** Encodes strings into `out` (zero-filled, data.length items long). */
function encodeStringsInto(data: string[], dtype: string, out: Uint8Array): Uint8Array {
  const m = /^([US])(\d+)$/.exec(dtype);
  if (!m) throw new TypeError(`string data needs a U or S dtype, got '${dtype}'`);
  const width = Number(m[2]);
  const unicode = m[1] === 'U';
  const item = unicode ? 4 * width : width;
  const dv = new DataView(out.buffer, out.byteOffset, out.byteLength);
  const u32 = unicode && out.byteOffset % 4 === 0 ? new Uint32Array(out.buffer, out.byteOffset, out.byteLength / 4) : null;
  data.forEach((s, i) => {
    // Fast path: no surrogate pair, so one UTF-16 unit is one code point.
    if (u32 && s.length <= width && !/[\ud800-\udfff]/.test(s)) {
      for (let k = 0, at = i * width; k < s.length; k++) u32[at + k] = s.charCodeAt(k);
      return;
    }
    const cps = [...s];
    if (cps.length > width) throw new RangeError(`string '${s}' is longer than dtype ${dtype}`);
    cps.forEach((ch, k) => {
      const cp = ch.codePointAt(0)!;
      if (unicode) dv.setUint32(i * item + 4 * k, cp, true);
      else if (cp > 0xff) throw new RangeError(`string '${s}' does not fit bytes dtype ${dtype}`);
      else out[i * item + k] = cp;
    });
  });
  return out;
}

function checkShape(arr: NdArray): void {
  const size = arr.shape.reduce((a, b) => a * b, 1);
  if (size !== arr.data.length) {
    throw new RangeError(`shape (${arr.shape.join(', ')}) holds ${size} elements but data has ${arr.data.length}`);
  }
}

/** Header + data of a whole `.npy`, as chunks (no copy of the data). */
export function encodeNpyChunks(arr: NdArray): Uint8Array[] {
  checkShape(arr);
  return [encodeHeader(arr.dtype, arr.shape), encodeData(arr)];
}

/** Bytes per string batch of encodeNpyStream (reused between batches). */
const STRING_BATCH_BYTES = 1 << 20;

/**
 * Header + data of a whole `.npy` as a stream of chunks and its total size:
 * numeric data as views (no copy), strings encoded batch by batch into one
 * reused buffer (valid until the next chunk), so writing 370,000 file names
 * allocates 1 MB instead of 41.
 */
export function encodeNpyStream(arr: NdArray): { size: number; chunks: Iterable<Uint8Array> } {
  checkShape(arr);
  const head = encodeHeader(arr.dtype, arr.shape);
  const m = /^([US])(\d+)$/.exec(arr.dtype);
  if (!Array.isArray(arr.data) || !m) {
    const body = encodeData(arr);
    return { size: head.length + body.length, chunks: [head, body] };
  }
  const data = arr.data;
  const item = (m[1] === 'U' ? 4 : 1) * Number(m[2]);
  const per = Math.max(1, Math.floor(STRING_BATCH_BYTES / Math.max(1, item)));
  function* chunks(): Generator<Uint8Array> {
    yield head;
    let buf: Uint8Array | null = null;
    for (let i = 0; i < data.length; i += per) {
      const batch = data.slice(i, i + per);
      buf ??= new Uint8Array(Math.min(per, data.length) * item);
      const out = buf.subarray(0, batch.length * item);
      out.fill(0);
      encodeStringsInto(batch, arr.dtype, out);
      yield out;
    }
  }
  return { size: head.length + item * data.length, chunks: chunks() };
}

export function encodeNpy(arr: NdArray): Uint8Array {
  const [head, body] = encodeNpyChunks(arr);
  const out = new Uint8Array(head.length + body.length);
  out.set(head, 0);
  out.set(body, head.length);
  return out;
}

/** Writes a `.npy` atomically. */
export function writeNpy(file: string, arr: NdArray): void {
  const chunks = encodeNpyChunks(arr);
  withTempFileSync(file, (tmp) => {
    const fd = fs.openSync(tmp, 'w');
    try {
      for (const c of chunks) writeAll(fd, c);
    } finally {
      fs.closeSync(fd);
    }
  });
}

export function writeAll(fd: number, bytes: Uint8Array): void {
  let off = 0;
  while (off < bytes.length) off += fs.writeSync(fd, bytes, off, bytes.length - off);
}

/** An NdArray from a typed array and shape, with the dtype inferred. */
export function ndarray(data: NumericArray | string[], shape?: number[], dtype?: string): NdArray {
  return { data, shape: shape ?? [data.length], dtype: dtype ?? dtypeOf(data) };
}
