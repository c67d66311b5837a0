/**
 * Just enough ZIP for `.npz`: the central directory (with zip64), stored and
 * deflate members, a streaming member reader, and a writer. Decompressed
 * sizes are capped by what the member declares, so a zip bomb fails fast.
 */
import * as fs from 'node:fs';
import * as zlib from 'node:zlib';
import { Inflate } from 'fflate';
import { FormatError, UnsupportedError } from '../errors';
import { nativeAddon, type NativeAddon, type NativeInflater } from '../native/addon';
import { readExact } from './files';
import { writeAll } from './npy';

export interface ZipEntry {
  name: string;
  method: number;
  compressedSize: number;
  size: number;
  crc32: number;
  localOffset: number;
}

const SIG_EOCD = 0x06054b50;
const SIG_EOCD64 = 0x06064b50;
const SIG_EOCD64_LOC = 0x07064b50;
const SIG_CENTRAL = 0x02014b50;
const SIG_LOCAL = 0x04034b50;
const U32_MAX = 0xffffffff;
/** Deflate cannot expand more than ~1032:1; anything claiming more is corrupt. */
export const MAX_DEFLATE_RATIO = 1100;

function u64(dv: DataView, off: number): number {
  const v = dv.getBigUint64(off, true);
  if (v > BigInt(Number.MAX_SAFE_INTEGER)) throw new RangeError('zip64 field too large');
  return Number(v);
}

/**
 * CRC-32 continued over `chunk`. Node 20's zlib.crc32 returns 0 for an empty
 * view of a zero-length ArrayBuffer whatever the running value, so an empty
 * member (shape (0,)) would be written, or read, with a wrong CRC.
 */
export function crc32(chunk: Uint8Array, crc: number): number {
  if (!chunk.length) return crc;
  // The addon's PCLMUL CRC is 2-3x zlib's here: it was the larger half of reading raters.npz.
  const addon = nativeAddon();
  return addon?.ioCrc32 ? addon.ioCrc32(crc >>> 0, chunk) : zlib.crc32(chunk, crc);
}

/** Reads `length` bytes at `offset`, failing with a FormatError when the file is shorter. */
export function readAt(fd: number, file: string, offset: number, length: number): Buffer {
  const buf = Buffer.allocUnsafe(length);
  readExact(fd, file, buf, offset, 'truncated zip archive');
  return buf;
}

/** Parses the central directory of a zip file. */
export function readDirectory(fd: number, file: string): ZipEntry[] {
  const size = fs.fstatSync(fd).size;
  const tailLen = Math.min(size, 22 + 0xffff);
  const tail = readAt(fd, file, size - tailLen, tailLen);
  let eocd = -1;
  for (let i = tail.length - 22; i >= 0; i--) {
    if (tail.readUInt32LE(i) === SIG_EOCD) {
      eocd = i;
      break;
    }
  }
  if (eocd < 0) {
    const head = readAt(fd, file, 0, Math.min(size, 4));
    const looksZip = head.length === 4 && head.readUInt32LE(0) === SIG_LOCAL;
    throw new FormatError(`${looksZip ? 'truncated zip archive' : 'not a zip/.npz archive'} (no end-of-central-directory record)`, file);
  }
  let count = tail.readUInt16LE(eocd + 10);
  let cdSize = tail.readUInt32LE(eocd + 12);
  let cdOffset = tail.readUInt32LE(eocd + 16);
  const locAt = eocd - 20;
  if (locAt >= 0 && tail.readUInt32LE(locAt) === SIG_EOCD64_LOC) {
    const eocd64Offset = Number(tail.readBigUInt64LE(locAt + 8));
    const rec = readAt(fd, file, eocd64Offset, 56);
    if (rec.readUInt32LE(0) !== SIG_EOCD64) throw new FormatError('bad zip64 end-of-central-directory record', file);
    const dv = new DataView(rec.buffer, rec.byteOffset, rec.byteLength);
    count = u64(dv, 32);
    cdSize = u64(dv, 40);
    cdOffset = u64(dv, 48);
  }
  if (cdOffset + cdSize > size) throw new FormatError('truncated zip archive (central directory out of bounds)', file);
  if (count > cdSize / 46) throw new FormatError('corrupt zip central directory (entry count)', file);
  const cd = readAt(fd, file, cdOffset, cdSize);
  return parseCentral(cd, count, file, size);
}

function parseCentral(cd: Buffer, count: number, file: string, fileSize: number): ZipEntry[] {
  const entries: ZipEntry[] = [];
  let p = 0;
  for (let e = 0; e < count; e++) {
    if (p + 46 > cd.length || cd.readUInt32LE(p) !== SIG_CENTRAL) throw new FormatError('corrupt zip central directory', file);
    const flags = cd.readUInt16LE(p + 8);
    const method = cd.readUInt16LE(p + 10);
    const crc32 = cd.readUInt32LE(p + 16);
    let compressedSize = cd.readUInt32LE(p + 20);
    let size = cd.readUInt32LE(p + 24);
    const nameLen = cd.readUInt16LE(p + 28);
    const extraLen = cd.readUInt16LE(p + 30);
    const commentLen = cd.readUInt16LE(p + 32);
    let localOffset = cd.readUInt32LE(p + 42);
    if (p + 46 + nameLen + extraLen + commentLen > cd.length) throw new FormatError('corrupt zip central directory', file);
    if (flags & 1) throw new UnsupportedError('encrypted zip members are not supported', file);
    const name = cd.toString('utf8', p + 46, p + 46 + nameLen);
    const extra = cd.subarray(p + 46 + nameLen, p + 46 + nameLen + extraLen);
    ({ size, compressedSize, localOffset } = applyZip64(extra, { size, compressedSize, localOffset }, file));
    if (localOffset + compressedSize > fileSize) throw new FormatError(`truncated zip archive (member '${name}')`, file);
    entries.push({ name, method, compressedSize, size, crc32, localOffset });
    p += 46 + nameLen + extraLen + commentLen;
  }
  // The directory's declared size and entry count must describe the same records.
  if (p !== cd.length) throw new FormatError('corrupt zip central directory (size does not match its entries)', file);
  return entries;
}

function applyZip64(extra: Buffer, v: { size: number; compressedSize: number; localOffset: number }, file: string) {
  let q = 0;
  while (q + 4 <= extra.length) {
    const id = extra.readUInt16LE(q);
    const len = extra.readUInt16LE(q + 2);
    if (id === 0x0001) {
      const dv = new DataView(extra.buffer, extra.byteOffset + q + 4, Math.min(len, extra.length - q - 4));
      let r = 0;
      const next = () => {
        if (r + 8 > dv.byteLength) throw new FormatError('corrupt zip64 extra field', file);
        const x = u64(dv, r);
        r += 8;
        return x;
      };
      if (v.size === U32_MAX) v.size = next();
      if (v.compressedSize === U32_MAX) v.compressedSize = next();
      if (v.localOffset === U32_MAX) v.localOffset = next();
    }
    q += 4 + len;
  }
  return v;
}

/** Offset of a member's data, past its local header. */
export function dataOffset(fd: number, file: string, entry: ZipEntry): number {
  const head = readAt(fd, file, entry.localOffset, 30);
  if (head.readUInt32LE(0) !== SIG_LOCAL) throw new FormatError(`corrupt zip local header for '${entry.name}'`, file);
  return entry.localOffset + 30 + head.readUInt16LE(26) + head.readUInt16LE(28);
}

function checkMember(file: string, entry: ZipEntry): void {
  if (entry.method !== 0 && entry.method !== 8) {
    throw new UnsupportedError(`zip member '${entry.name}' uses compression method ${entry.method} (only stored and deflate)`, file);
  }
  if (entry.method === 0 && entry.compressedSize !== entry.size) {
    throw new FormatError(`zip member '${entry.name}' is stored but its sizes differ`, file);
  }
  if (entry.method === 8 && entry.size > entry.compressedSize * MAX_DEFLATE_RATIO + 1024) {
    throw new FormatError(`zip member '${entry.name}' declares an impossible compression ratio`, file);
  }
}

/** A byte source that yields exactly the bytes asked for, in order. */
export interface ByteReader {
  /** Fills `target` completely (or fails). */
  readInto(target: Uint8Array): void | Promise<void>;
}

/** Shared queue logic: decompressed chunks in, exact-size reads out. */
abstract class QueuedReader {
  protected readonly queue: Uint8Array[] = [];
  protected queued = 0;
  protected produced = 0;
  protected ended = false;
  private crc = 0;

  constructor(
    protected readonly file: string,
    protected readonly entry: ZipEntry,
  ) {
    checkMember(file, entry);
  }

  protected accept(chunk: Uint8Array): void {
    this.produced += chunk.length;
    if (this.produced > this.entry.size) {
      throw new FormatError(`zip member '${this.entry.name}' inflates past its declared size`, this.file);
    }
    this.crc = crc32(chunk, this.crc);
    if (this.produced === this.entry.size && this.crc >>> 0 !== this.entry.crc32 >>> 0) {
      throw new FormatError(`zip member '${this.entry.name}' fails its CRC-32 check (corrupt data)`, this.file);
    }
    if (chunk.length) {
      this.queue.push(chunk);
      this.queued += chunk.length;
    }
  }

  protected truncated(): FormatError {
    return new FormatError(`zip member '${this.entry.name}' is truncated`, this.file);
  }

  protected corrupt(err: unknown): FormatError {
    if (err instanceof FormatError) return err;
    return new FormatError(`zip member '${this.entry.name}' is corrupt (${(err as Error).message})`, this.file);
  }

  /** Moves queued bytes into target[off..]; returns the new offset. */
  protected drain(target: Uint8Array, off: number): number {
    while (off < target.length && this.queue.length) {
      const head = this.queue[0];
      const take = Math.min(head.length, target.length - off);
      target.set(head.subarray(0, take), off);
      off += take;
      this.queued -= take;
      if (take === head.length) this.queue.shift();
      else this.queue[0] = head.subarray(take);
    }
    return off;
  }

  /** Exactly `n` bytes in a fresh buffer. */
  read(n: number): Uint8Array | Promise<Uint8Array> {
    const out = new Uint8Array(n);
    const r = (this as unknown as ByteReader).readInto(out);
    return r instanceof Promise ? r.then(() => out) : out;
  }
}

/**
 * Synchronous member reader (fflate). Compressed input goes in small slices
 * so that memory stays bounded even for highly compressible members.
 */
export class MemberStream extends QueuedReader implements ByteReader {
  private inPos: number;
  private readonly inEnd: number;
  private readonly inflater?: Inflate;

  constructor(
    private readonly fd: number,
    file: string,
    entry: ZipEntry,
  ) {
    super(file, entry);
    this.inPos = dataOffset(fd, file, entry);
    this.inEnd = this.inPos + entry.compressedSize;
    if (entry.method === 8) {
      this.inflater = new Inflate((chunk, final) => {
        this.accept(chunk);
        if (final) this.ended = true;
      });
    }
  }

  private pull(): void {
    if (this.inPos >= this.inEnd) {
      if (this.inflater && !this.ended) this.inflater.push(new Uint8Array(0), true);
      this.ended = true;
      return;
    }
    const len = Math.min(this.inflater ? 1 << 14 : 1 << 22, this.inEnd - this.inPos);
    const buf = readAt(this.fd, this.file, this.inPos, len);
    this.inPos += len;
    const last = this.inPos >= this.inEnd;
    if (!this.inflater) {
      this.accept(buf);
      this.ended = last;
      return;
    }
    try {
      this.inflater.push(buf, last);
    } catch (err) {
      throw this.corrupt(err);
    }
  }

  readInto(target: Uint8Array): void {
    let off = this.drain(target, 0);
    while (off < target.length) {
      if (this.ended && this.queued === 0) throw this.truncated();
      this.pull();
      off = this.drain(target, off);
    }
  }

  override read(n: number): Uint8Array {
    return super.read(n) as Uint8Array;
  }
}

/** Compressed input is read through one buffer of this size (measured: 256 KiB-1 MiB all read at page-cache speed). */
const NATIVE_IN_BYTES = 1 << 20;

/**
 * Synchronous member reader that inflates (with the addon's zlib) straight
 * into the caller's buffer: no chunk is allocated per step, so a member of
 * hundreds of MB streams through the caller's reused buffer and one 1 MiB
 * input buffer. Same checks as the others (declared size, CRC-32).
 */
export class DirectMemberStream implements ByteReader {
  private inPos: number;
  private readonly inEnd: number;
  private readonly input: Uint8Array;
  private inStart = 0;
  private inLen = 0;
  private readonly handle: NativeInflater | null;
  private produced = 0;
  private crc = 0;
  private ended = false;

  constructor(
    private readonly fd: number,
    private readonly file: string,
    private readonly entry: ZipEntry,
    private readonly addon: NativeAddon,
  ) {
    checkMember(file, entry);
    this.inPos = dataOffset(fd, file, entry);
    this.inEnd = this.inPos + entry.compressedSize;
    this.input = new Uint8Array(Math.max(1, Math.min(NATIVE_IN_BYTES, entry.compressedSize)));
    this.handle = entry.method === 8 ? addon.ioInflaterCreate() : null;
  }

  private refill(): void {
    const len = Math.min(this.input.length, this.inEnd - this.inPos);
    readExact(this.fd, this.file, this.input.subarray(0, len), this.inPos, 'truncated zip archive');
    this.inPos += len;
    this.inStart = 0;
    this.inLen = len;
  }

  readInto(target: Uint8Array): void {
    let off = 0;
    while (off < target.length) {
      if (this.inStart === this.inLen && this.inPos < this.inEnd) this.refill();
      const out = target.subarray(off);
      let produced: number;
      if (!this.handle) {
        produced = Math.min(out.length, this.inLen - this.inStart);
        out.set(this.input.subarray(this.inStart, this.inStart + produced));
        this.inStart += produced;
      } else {
        let step: [number, number, boolean];
        try {
          step = this.addon.ioInflate(this.handle, this.input.subarray(this.inStart, this.inLen), out);
        } catch (err) {
          throw new FormatError(`zip member '${this.entry.name}' is corrupt (${(err as Error).message})`, this.file);
        }
        this.inStart += step[0];
        produced = step[1];
        if (step[2]) this.ended = true;
      }
      this.account(out.subarray(0, produced));
      off += produced;
      // No output and nothing left to feed: the member ends before `target` is full.
      if (produced === 0 && (this.ended || (this.inStart === this.inLen && this.inPos >= this.inEnd))) {
        throw new FormatError(`zip member '${this.entry.name}' is truncated`, this.file);
      }
    }
  }

  private account(chunk: Uint8Array): void {
    this.produced += chunk.length;
    if (this.produced > this.entry.size) {
      throw new FormatError(`zip member '${this.entry.name}' inflates past its declared size`, this.file);
    }
    this.crc = crc32(chunk, this.crc);
    if (this.produced === this.entry.size && this.crc >>> 0 !== this.entry.crc32 >>> 0) {
      throw new FormatError(`zip member '${this.entry.name}' fails its CRC-32 check (corrupt data)`, this.file);
    }
  }

  read(n: number): Uint8Array {
    const out = new Uint8Array(n);
    this.readInto(out);
    return out;
  }

  /**
   * Inflates whatever the reader did not ask for, so that the declared size
   * and the CRC-32 are checked even when the .npy header claims less data
   * than the member holds (a corrupt header must not pass unchecked).
   */
  finish(): void {
    const rest = this.entry.size - this.produced;
    if (rest > 0) {
      const scratch = new Uint8Array(Math.min(rest, 1 << 16));
      for (let left = rest; left > 0; left -= scratch.length) this.readInto(left >= scratch.length ? scratch : scratch.subarray(0, left));
    }
    if (this.handle && !this.ended) {
      // Output complete; the deflate stream must end exactly here.
      if (this.inStart === this.inLen && this.inPos < this.inEnd) this.refill();
      const step: [number, number, boolean] = this.addon.ioInflate(this.handle, this.input.subarray(this.inStart, this.inLen), new Uint8Array(1));
      if (step[1] > 0) throw new FormatError(`zip member '${this.entry.name}' inflates past its declared size`, this.file);
      if (!step[2]) throw new FormatError(`zip member '${this.entry.name}' is corrupt (the deflate stream does not end with the data)`, this.file);
    }
  }
}

/** True when the addon can inflate into callers' buffers (DirectMemberStream). */
export function hasDirectInflate(): boolean {
  return typeof nativeAddon()?.ioInflate === 'function';
}

/** The fastest synchronous reader available: the addon's inflate, else fflate. */
export function openMemberSync(fd: number, file: string, entry: ZipEntry): ByteReader & { read(n: number): Uint8Array; finish?(): void } {
  const addon = nativeAddon();
  if (addon && typeof addon.ioInflate === 'function') return new DirectMemberStream(fd, file, entry, addon);
  return new MemberStream(fd, file, entry);
}

/** Asynchronous member reader on Node's native zlib: several times faster on large members. */
export class AsyncMemberStream extends QueuedReader implements ByteReader {
  private readonly source: AsyncIterator<Buffer>;

  constructor(fd: number, file: string, entry: ZipEntry) {
    super(file, entry);
    const start = dataOffset(fd, file, entry);
    // Its own descriptor: a destroyed ReadStream closes its fd even with autoClose off.
    if (entry.compressedSize === 0) {
      this.source = [][Symbol.iterator]() as unknown as AsyncIterator<Buffer>;
      return;
    }
    const raw = fs.createReadStream(file, { start, end: start + entry.compressedSize - 1, highWaterMark: 1 << 20 });
    const stream = entry.method === 8 ? raw.pipe(zlib.createInflateRaw({ chunkSize: 1 << 20 })) : raw;
    // pipe() does not forward read errors (a file truncated under us) to the inflater.
    if (stream !== raw) raw.on('error', (err) => stream.destroy(err));
    this.source = stream[Symbol.asyncIterator]() as AsyncIterator<Buffer>;
  }

  async readInto(target: Uint8Array): Promise<void> {
    let off = this.drain(target, 0);
    while (off < target.length) {
      if (this.ended) throw this.truncated();
      let next: IteratorResult<Buffer>;
      try {
        next = await this.source.next();
      } catch (err) {
        throw this.corrupt(err);
      }
      if (next.done) this.ended = true;
      else this.accept(next.value);
      off = this.drain(target, off);
    }
  }

  override read(n: number): Promise<Uint8Array> {
    return super.read(n) as Promise<Uint8Array>;
  }

  /** Stops the underlying streams early. */
  async close(): Promise<void> {
    await this.source.return?.();
  }
}

export interface ZipInput {
  name: string;
  /** The member's bytes in order (each chunk may be reused once the next is asked for). */
  chunks: Iterable<Uint8Array>;
  /** Their total length, known up front (it decides zip64). */
  size: number;
  compress: boolean;
}

/**
 * Writes a zip (zip64 where needed) to an open fd, streaming: each chunk is
 * CRC'd, deflated by the addon (one raw-deflate stream per member, the same
 * bytes as a one-shot deflateRawSync at level 6) and written as it comes,
 * and the local header's CRC and sizes are filled in afterwards.
 */
export function writeZip(fd: number, inputs: ZipInput[]): void {
  let offset = 0;
  const central: Buffer[] = [];
  for (const input of inputs) {
    const name = Buffer.from(input.name, 'utf8');
    // Deflate adds at most 5 bytes per 16 KiB block and a few more: zip64 decided from the size alone.
    const z64 = input.size + (input.size >>> 12) + 1024 >= U32_MAX || offset >= U32_MAX;
    const method = input.compress ? 8 : 0;
    const headerAt = offset;
    const placeholder = localHeader(name, method, 0, 0, input.size, z64);
    writeAll(fd, placeholder);
    offset += placeholder.length;
    const { crc, size, csize } = writeMember(fd, input);
    if (size !== input.size) throw new Error(`zip member '${input.name}': ${size} bytes written, ${input.size} declared`);
    const local = localHeader(name, method, crc, csize, size, z64);
    writeAllAt(fd, local, headerAt);
    central.push(centralHeader(name, method, crc, csize, size, headerAt, z64));
    offset += csize;
  }
  const cd = Buffer.concat(central);
  writeAll(fd, cd);
  writeAll(fd, endRecords(inputs.length, cd.length, offset));
}

/** Compressed output is written through one buffer of this size. */
const DEFLATE_OUT_BYTES = 1 << 18;

function writeMember(fd: number, input: ZipInput): { crc: number; size: number; csize: number } {
  let crc = 0;
  let size = 0;
  let csize = 0;
  const emit = (out: Uint8Array) => {
    if (out.length) writeAll(fd, out);
    csize += out.length;
  };
  const addon = nativeAddon();
  const native = input.compress && typeof addon?.ioDeflate === 'function';
  const handle = native ? addon!.ioDeflaterCreate(6) : null;
  const out = native ? new Uint8Array(DEFLATE_OUT_BYTES) : null;
  const deflate = (c: Uint8Array, finish: boolean) => {
    for (let at = 0; ; ) {
      const [used, produced, ended]: [number, number, boolean] = addon!.ioDeflate(handle!, c.subarray(at), out!, finish);
      at += used;
      emit(out!.subarray(0, produced));
      if (ended || (!finish && at === c.length && produced < out!.length)) return;
    }
  };
  const copies: Uint8Array[] = []; // without the addon: one-shot deflate at the end
  for (const c of input.chunks) {
    crc = crc32(c, crc);
    size += c.length;
    if (!input.compress) emit(c);
    else if (native) deflate(c, false);
    else copies.push(Uint8Array.from(c)); // chunks may be reused buffers
  }
  if (native) deflate(new Uint8Array(0), true);
  else if (input.compress) emit(zlib.deflateRawSync(Buffer.concat(copies), { level: 6 }));
  return { crc, size, csize };
}

function writeAllAt(fd: number, bytes: Uint8Array, position: number): void {
  let off = 0;
  while (off < bytes.length) off += fs.writeSync(fd, bytes, off, bytes.length - off, position + off);
}

function localHeader(name: Buffer, method: number, crc: number, csize: number, size: number, z64: boolean): Buffer {
  const extra = z64 ? zip64Extra([size, csize]) : Buffer.alloc(0);
  const h = Buffer.alloc(30);
  h.writeUInt32LE(SIG_LOCAL, 0);
  h.writeUInt16LE(z64 ? 45 : 20, 4);
  h.writeUInt16LE(0, 6);
  h.writeUInt16LE(method, 8);
  h.writeUInt32LE(0, 10); // time/date
  h.writeUInt32LE(crc >>> 0, 14);
  h.writeUInt32LE(z64 ? U32_MAX : csize, 18);
  h.writeUInt32LE(z64 ? U32_MAX : size, 22);
  h.writeUInt16LE(name.length, 26);
  h.writeUInt16LE(extra.length, 28);
  return Buffer.concat([h, name, extra]);
}

function centralHeader(name: Buffer, method: number, crc: number, csize: number, size: number, offset: number, z64: boolean): Buffer {
  const extra = z64 ? zip64Extra([size, csize, offset]) : Buffer.alloc(0);
  const h = Buffer.alloc(46);
  h.writeUInt32LE(SIG_CENTRAL, 0);
  h.writeUInt16LE(45, 4);
  h.writeUInt16LE(z64 ? 45 : 20, 6);
  h.writeUInt16LE(method, 10);
  h.writeUInt32LE(crc >>> 0, 16);
  h.writeUInt32LE(z64 ? U32_MAX : csize, 20);
  h.writeUInt32LE(z64 ? U32_MAX : size, 24);
  h.writeUInt16LE(name.length, 28);
  h.writeUInt16LE(extra.length, 30);
  h.writeUInt32LE(z64 ? U32_MAX : offset, 42);
  return Buffer.concat([h, name, extra]);
}

function zip64Extra(values: number[]): Buffer {
  const b = Buffer.alloc(4 + 8 * values.length);
  b.writeUInt16LE(0x0001, 0);
  b.writeUInt16LE(8 * values.length, 2);
  values.forEach((v, i) => b.writeBigUInt64LE(BigInt(v), 4 + 8 * i));
  return b;
}

function endRecords(count: number, cdSize: number, cdOffset: number): Buffer {
  const parts: Buffer[] = [];
  const z64 = count >= 0xffff || cdOffset >= U32_MAX || cdSize >= U32_MAX;
  if (z64) {
    const rec = Buffer.alloc(56);
    rec.writeUInt32LE(SIG_EOCD64, 0);
    rec.writeBigUInt64LE(44n, 4);
    rec.writeUInt16LE(45, 12);
    rec.writeUInt16LE(45, 14);
    rec.writeBigUInt64LE(BigInt(count), 24);
    rec.writeBigUInt64LE(BigInt(count), 32);
    rec.writeBigUInt64LE(BigInt(cdSize), 40);
    rec.writeBigUInt64LE(BigInt(cdOffset), 48);
    const loc = Buffer.alloc(20);
    loc.writeUInt32LE(SIG_EOCD64_LOC, 0);
    loc.writeBigUInt64LE(BigInt(cdOffset + cdSize), 8);
    loc.writeUInt32LE(1, 16);
    parts.push(rec, loc);
  }
  const e = Buffer.alloc(22);
  e.writeUInt32LE(SIG_EOCD, 0);
  e.writeUInt16LE(Math.min(count, 0xffff), 8);
  e.writeUInt16LE(Math.min(count, 0xffff), 10);
  e.writeUInt32LE(z64 ? U32_MAX : cdSize, 12);
  e.writeUInt32LE(z64 ? U32_MAX : cdOffset, 16);
  parts.push(e);
  return Buffer.concat(parts);
}
