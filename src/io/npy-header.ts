/**
 * The `.npy` header: magic, version, and the Python-dict-literal that holds
 * `descr`, `fortran_order` and `shape`. Parsed with a small tokenizer (never
 * eval), validated against what the rest of the file can hold.
 */
import { FormatError, UnsupportedError } from '../errors';

export const NPY_MAGIC = [0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59]; // \x93NUMPY

/** Largest element count we accept: typed arrays and indices stay in safe integers. */
export const MAX_ELEMENTS = 2 ** 48;

export interface DType {
  /** Normalised name without byte order: 'f4', 'i2', 'b1', 'U28', 'S5'... */
  name: string;
  kind: 'f' | 'i' | 'u' | 'b' | 'U' | 'S';
  /** Bytes per element. */
  itemsize: number;
  /** True when the file stores it big-endian (only meaningful when itemsize > 1). */
  bigEndian: boolean;
}

export interface NpyHeader {
  dtype: DType;
  shape: number[];
  fortranOrder: boolean;
  /** Byte offset of the data from the start of the .npy stream. */
  dataOffset: number;
  /** Element count (product of shape). */
  size: number;
  /** Data bytes the header declares. */
  dataBytes: number;
  version: [number, number];
}

const NUMERIC = new Set(['f2', 'f4', 'f8', 'i1', 'i2', 'i4', 'i8', 'u1', 'u2', 'u4', 'u8', 'b1']);

/** Parses a numpy `descr` string such as '<f4', '|b1', '<U28', '|S5'. */
export function parseDescr(descr: string, file?: string): DType {
  const m = /^([<>|=]?)([a-zA-Z?])(\d*)$/.exec(descr);
  if (!m) throw new UnsupportedError(`unsupported dtype '${descr}'`, file);
  const order = m[1];
  let kind = m[2];
  let digits = m[3];
  if (kind === '?' && digits === '') {
    kind = 'b';
    digits = '1';
  }
  const count = digits === '' ? NaN : Number(digits);
  if (kind === 'U' || kind === 'S') {
    if (!Number.isInteger(count) || count < 1 || count > 1 << 20) {
      throw new UnsupportedError(`unsupported string dtype '${descr}'`, file);
    }
    const itemsize = kind === 'U' ? 4 * count : count;
    return { name: `${kind}${count}`, kind, itemsize, bigEndian: order === '>' };
  }
  const name = `${kind}${digits}`;
  if (!NUMERIC.has(name)) throw new UnsupportedError(`unsupported dtype '${descr}'`, file);
  return { name, kind: kind as DType['kind'], itemsize: count, bigEndian: order === '>' };
}

/** The `descr` string realabel writes for a dtype name (always little-endian). */
export function descrFor(name: string): string {
  if (name === 'b1' || name === 'i1' || name === 'u1' || name.startsWith('S')) return `|${name}`;
  return `<${name}`;
}

/** Number of header bytes needed before the dict can be read (magic + version + length). */
export function preambleLength(bytes: Uint8Array, file?: string): number {
  if (bytes.length < 10) throw new FormatError('truncated .npy header', file);
  for (let i = 0; i < NPY_MAGIC.length; i++) {
    if (bytes[i] !== NPY_MAGIC[i]) throw new FormatError('not a .npy file (bad magic number)', file);
  }
  const major = bytes[6];
  if (major === 1) return 10;
  if (major === 2 || major === 3) {
    if (bytes.length < 12) throw new FormatError('truncated .npy header', file);
    return 12;
  }
  throw new UnsupportedError(`unsupported .npy format version ${major}.${bytes[7]}`, file);
}

/** Total header length (preamble + dict), from the first 12 bytes. */
export function headerLength(bytes: Uint8Array, file?: string): number {
  const pre = preambleLength(bytes, file);
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const len = pre === 10 ? dv.getUint16(8, true) : dv.getUint32(8, true);
  return pre + len;
}

/** Parses the full header from bytes that hold at least `headerLength` bytes. */
export function parseHeader(bytes: Uint8Array, file?: string): NpyHeader {
  const total = headerLength(bytes, file);
  if (bytes.length < total) throw new FormatError('truncated .npy header', file);
  const major = bytes[6];
  const pre = major === 1 ? 10 : 12;
  const raw = bytes.subarray(pre, total);
  const text = major === 3 ? new TextDecoder('utf-8', { fatal: false }).decode(raw) : latin1(raw);
  const dict = parseDict(text, file);
  const descr = dict.descr;
  if (typeof descr !== 'string') {
    throw new UnsupportedError('structured dtypes are not supported', file);
  }
  if (typeof dict.fortran_order !== 'boolean') throw new FormatError("header lacks a boolean 'fortran_order'", file);
  const shape = dict.shape;
  if (!Array.isArray(shape)) throw new FormatError("header lacks a 'shape' tuple", file);
  const dtype = parseDescr(descr, file);
  let size = 1;
  for (const d of shape) {
    if (typeof d !== 'number' || !Number.isSafeInteger(d) || d < 0) throw new FormatError(`invalid shape (${shape.join(', ')})`, file);
    size *= d;
    if (size > MAX_ELEMENTS) throw new FormatError(`shape (${shape.join(', ')}) is too large`, file);
  }
  const dataBytes = size * dtype.itemsize;
  if (!Number.isSafeInteger(dataBytes)) throw new FormatError(`shape (${shape.join(', ')}) is too large`, file);
  return {
    dtype,
    shape: shape as number[],
    fortranOrder: dict.fortran_order,
    dataOffset: total,
    size,
    dataBytes,
    version: [major, bytes[7]],
  };
}

function latin1(raw: Uint8Array): string {
  let s = '';
  for (let i = 0; i < raw.length; i++) s += String.fromCharCode(raw[i]);
  return s;
}

type PyValue = string | number | boolean | null | PyValue[] | { [k: string]: PyValue };

/** A tokenizer-based reader for the Python literal subset numpy writes. */
function parseDict(text: string, file?: string): Record<string, PyValue> {
  let i = 0;
  const fail = (what: string): never => {
    throw new FormatError(`malformed .npy header (${what} at ${i})`, file);
  };
  const ws = () => {
    while (i < text.length && /\s/.test(text[i])) i++;
  };
  const value = (depth: number): PyValue => {
    if (depth > 8) fail('nesting too deep');
    ws();
    const ch = text[i];
    if (ch === "'" || ch === '"') {
      const end = text.indexOf(ch, i + 1);
      if (end < 0) fail('unterminated string');
      const s = text.slice(i + 1, end);
      i = end + 1;
      return s;
    }
    if (ch === '(' || ch === '[') return sequence(ch === '(' ? ')' : ']', depth);
    if (ch === '{') return dict(depth);
    const m = /^(True|False|None|-?\d+L?)/.exec(text.slice(i, i + 32));
    if (!m) return fail('unexpected token');
    i += m[0].length;
    if (m[0] === 'True') return true;
    if (m[0] === 'False') return false;
    if (m[0] === 'None') return null;
    return Number(m[0].replace('L', ''));
  };
  const sequence = (close: string, depth: number): PyValue[] => {
    i++;
    const out: PyValue[] = [];
    for (;;) {
      ws();
      if (text[i] === close) {
        i++;
        return out;
      }
      out.push(value(depth + 1));
      ws();
      if (text[i] === ',') i++;
      else if (text[i] !== close) fail(`expected ',' or '${close}'`);
    }
  };
  const dict = (depth: number): Record<string, PyValue> => {
    i++;
    const out: Record<string, PyValue> = Object.create(null);
    for (;;) {
      ws();
      if (text[i] === '}') {
        i++;
        return out;
      }
      const key = value(depth + 1);
      if (typeof key !== 'string') fail('non-string key');
      ws();
      if (text[i] !== ':') fail("expected ':'");
      i++;
      out[key as string] = value(depth + 1);
      ws();
      if (text[i] === ',') i++;
      else if (text[i] !== '}') fail("expected ',' or '}'");
    }
  };
  ws();
  if (text[i] !== '{') fail("expected '{'");
  return dict(0);
}

/** Encodes a v1 (or v2 when needed) header padded so the data starts 64-byte aligned. */
export function encodeHeader(dtypeName: string, shape: readonly number[], fortranOrder = false): Uint8Array {
  const shapeText = shape.length === 1 ? `(${shape[0]},)` : `(${shape.join(', ')})`;
  const dict = `{'descr': '${descrFor(dtypeName)}', 'fortran_order': ${fortranOrder ? 'True' : 'False'}, 'shape': ${shapeText}, }`;
  let pre = 10;
  let total = Math.ceil((pre + dict.length + 1) / 64) * 64;
  if (total - pre > 0xffff) {
    pre = 12;
    total = Math.ceil((pre + dict.length + 1) / 64) * 64;
  }
  const out = new Uint8Array(total);
  out.set(NPY_MAGIC, 0);
  out[6] = pre === 10 ? 1 : 2;
  out[7] = 0;
  const dv = new DataView(out.buffer);
  if (pre === 10) dv.setUint16(8, total - pre, true);
  else dv.setUint32(8, total - pre, true);
  const body = dict.padEnd(total - pre - 1, ' ') + '\n';
  for (let k = 0; k < body.length; k++) out[pre + k] = body.charCodeAt(k);
  return out;
}
