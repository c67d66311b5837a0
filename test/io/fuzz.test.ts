/**
 * Property and fuzz tests of the readers: every corrupted input either parses
 * to a value that an independent check agrees with, or throws the library's
 * typed error — never a crash, a hang or an unbounded allocation.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as zlib from 'node:zlib';
import fc from 'fast-check';
import { RealabelError } from '../../src/errors';
import { encodeNpy, ndarray, parseNpy, type NdArray } from '../../src/io/npy';
import { parseHeader } from '../../src/io/npy-header';
import { readNpz, writeNpz } from '../../src/io/npz';
import { readLabelSets } from '../../src/io/labels';
import { readSynsets } from '../../src/io/synsets';
import { tmpDir } from '../helpers/tmp';


/** Runs fn; it must return or throw a RealabelError (a hang fails by jest's timeout; speed is bench/'s). */
function outcome<T>(fn: () => T): { ok: true; value: T } | { ok: false; error: RealabelError } {
  try {
    const value = fn();
    return { ok: true, value };
  } catch (err) {
    if (!(err instanceof RealabelError)) throw new Error(`untyped error: ${(err as Error)?.stack ?? String(err)}`);
    return { ok: false, error: err };
  }
}

/** Independent check of a successful parse: the data bytes in the file decode to the same values. */
function agreesWithRawBytes(bytes: Uint8Array, arr: NdArray): void {
  const header = parseHeader(bytes);
  expect(arr.shape).toEqual(header.shape);
  expect(arr.data.length).toBe(header.size);
  if (header.dtype.name === 'f4' && !header.dtype.bigEndian && !header.fortranOrder) {
    const dv = new DataView(bytes.buffer, bytes.byteOffset + header.dataOffset);
    (arr.data as Float32Array).forEach((v, i) => expect(Object.is(v, dv.getFloat32(4 * i, true))).toBe(true));
  }
}

const sample = encodeNpy(ndarray(Float32Array.from([1, 2.5, -3, 4, 5, 6]), [2, 3]));

describe('fuzz: .npy', () => {
  it('truncation at every byte is a typed error', () => {
    for (let cut = 0; cut < sample.length; cut++) {
      const r = outcome(() => parseNpy(sample.subarray(0, cut), 'cut.npy'));
      expect(r.ok).toBe(false);
      if (!r.ok) expect(r.error.message).toMatch(/^cut\.npy: /);
    }
  });

  it('flipped header bytes parse consistently or fail with a typed error', () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.nat(127), fc.integer({ min: 1, max: 255 })), { minLength: 1, maxLength: 4 }), (flips) => {
        const b = Uint8Array.from(sample);
        for (const [pos, x] of flips) b[pos] ^= x;
        const r = outcome(() => parseNpy(b, 'flip.npy'));
        if (r.ok) agreesWithRawBytes(b, r.value);
      }),
      { numRuns: 3000 },
    );
  });

  it('absurd shapes, wrong dtypes and giant declared sizes fail before allocating', () => {
    const shapes = ['(2**40,)', '(99999999999, 99999999999)', '(-1, 3)', '(1e9,)', '(3, 4, 5, 6, 7, 8, 9, 10, 11, 12)', '()', '(0,)'];
    const dtypes = ["'<f4'", "'<c16'", "'|O'", "'<M8[ns]'", "'<U0'", "'<U99999999'", "'>b1'", "'xyz'"];
    const text = Buffer.from(sample).toString('latin1');
    for (const shape of shapes) {
      for (const dtype of dtypes) {
        const mutated = text.replace('(2, 3)', shape).replace("'<f4'", dtype);
        const r = outcome(() => parseNpy(Buffer.from(mutated, 'latin1'), 'odd.npy'));
        if (r.ok) agreesWithRawBytes(Buffer.from(mutated, 'latin1'), r.value);
      }
    }
  });

  it('random bytes after a valid magic never crash', () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 0, maxLength: 200 }), (tail) => {
        const b = new Uint8Array(8 + tail.length);
        b.set([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, 1, 0]);
        b.set(tail, 8);
        const r = outcome(() => parseNpy(b, 'rand.npy'));
        if (r.ok) agreesWithRawBytes(b, r.value);
      }),
      { numRuns: 2000 },
    );
  });
});

describe('fuzz: .npz', () => {
  const dir = tmpDir();
  const base = path.join(dir, 'base.npz');
  writeNpz(base, { a: ndarray(Int32Array.from([1, 2, 3, 4])), s: ndarray(['x', 'yz']) }, { compress: true });
  const good = fs.readFileSync(base);
  const expected = readNpz(base);

  const attempt = (bytes: Uint8Array, name: string) => {
    const f = path.join(dir, name);
    fs.writeFileSync(f, bytes);
    return outcome(() => readNpz(f));
  };

  it('truncation at every byte is a typed error', () => {
    for (let cut = 0; cut < good.length; cut++) {
      const r = attempt(good.subarray(0, cut), 'cut.npz');
      expect(r.ok).toBe(false);
    }
  });

  it('flipped bytes anywhere parse to the original values or fail with a typed error', () => {
    fc.assert(
      fc.property(fc.nat(good.length - 1), fc.integer({ min: 1, max: 255 }), (pos, x) => {
        const b = Buffer.from(good);
        b[pos] ^= x;
        const r = attempt(b, 'flip.npz');
        // Data is CRC-checked, so a successful read holds the original arrays (a flip may rename one).
        if (r.ok) {
          const values = (z: Record<string, NdArray>) => Object.values(z).map((a) => [a.dtype, a.shape, Array.from(a.data as ArrayLike<unknown>)]);
          expect(values(r.value)).toEqual(values(expected));
        }
      }),
      { numRuns: 1500 },
    );
  });

  /** A one-member zip built by hand so that its declared sizes can lie. */
  function zipWith(member: Uint8Array, declaredSize: number, deflate = true): Buffer {
    const body = deflate ? zlib.deflateRawSync(member) : Buffer.from(member);
    const name = Buffer.from('a.npy');
    const local = Buffer.alloc(30);
    local.writeUInt32LE(0x04034b50, 0);
    local.writeUInt16LE(deflate ? 8 : 0, 8);
    local.writeUInt32LE(zlib.crc32(member), 14);
    local.writeUInt32LE(body.length, 18);
    local.writeUInt32LE(declaredSize, 22);
    local.writeUInt16LE(name.length, 26);
    const central = Buffer.alloc(46);
    central.writeUInt32LE(0x02014b50, 0);
    central.writeUInt16LE(deflate ? 8 : 0, 10);
    central.writeUInt32LE(zlib.crc32(member), 16);
    central.writeUInt32LE(body.length, 20);
    central.writeUInt32LE(declaredSize, 24);
    central.writeUInt16LE(name.length, 28);
    const cdOffset = 30 + name.length + body.length;
    const end = Buffer.alloc(22);
    end.writeUInt32LE(0x06054b50, 0);
    end.writeUInt16LE(1, 8);
    end.writeUInt16LE(1, 10);
    end.writeUInt32LE(46 + name.length, 12);
    end.writeUInt32LE(cdOffset, 16);
    return Buffer.concat([local, name, body, central, name, end]);
  }

  it('zip bombs: inflating past the declared size, impossible ratios, giant declared shapes', () => {
    const zeros = encodeNpy(ndarray(new Float64Array(1 << 20), [1 << 20])); // 8 MiB of zeros, deflates to ~8 KiB
    let r = attempt(zipWith(zeros, 4096), 'past.npz');
    expect(!r.ok && r.error.message).toMatch(/inflates past its declared size|truncated/);
    r = attempt(zipWith(zeros, 0xfffffff0), 'ratio.npz');
    expect(!r.ok && r.error.message).toMatch(/impossible compression ratio/);
    const giant = Buffer.from(Buffer.from(encodeNpy(ndarray(new Float64Array(4), [4]))).toString('latin1').replace('(4,)', '(4000000000000,)'), 'latin1');
    r = attempt(zipWith(giant, giant.length), 'giant.npz');
    expect(!r.ok && r.error.message).toMatch(/declares shape/);
    // A stored member whose declared size disagrees with its compressed size.
    r = attempt(zipWith(zeros.subarray(0, 1000), 4000, false), 'stored.npz');
    expect(r.ok).toBe(false);
  });
});

describe('fuzz: text readers', () => {
  const dir = tmpDir();
  it('real.json: arbitrary bytes and JSON values parse to valid label sets or fail typed', () => {
    const f = path.join(dir, 'real.json');
    const jsonish = fc.oneof(
      fc.json(),
      fc.array(fc.array(fc.integer({ min: -5, max: 1200 }), { maxLength: 5 }), { maxLength: 20 }).map((v) => JSON.stringify(v)),
      fc.uint8Array({ maxLength: 100 }).map((b) => Buffer.from(b).toString('latin1')),
    );
    fc.assert(
      fc.property(jsonish, (text) => {
        fs.writeFileSync(f, text);
        const r = outcome(() => readLabelSets(f, { numClasses: 1000 }));
        if (r.ok) {
          for (const set of r.value) {
            expect(new Set(set).size).toBe(set.length);
            for (const l of set) expect(Number.isInteger(l) && l >= 0 && l < 1000).toBe(true);
          }
        }
      }),
      { numRuns: 1500 },
    );
  });

  it('synset lists: corrupted lines and non-UTF-8 bytes fail typed', () => {
    const f = path.join(dir, 'synset.txt');
    const good = 'n01440764 tench, Tinca tinca\nn01443537 goldfish\n';
    fc.assert(
      fc.property(fc.nat(good.length - 1), fc.integer({ min: 1, max: 255 }), (pos, x) => {
        const b = Buffer.from(good);
        b[pos] ^= x;
        fs.writeFileSync(f, b);
        const r = outcome(() => readSynsets(f));
        if (r.ok) for (const s of r.value) expect(s.wnid).toMatch(/^n\d{8}$/);
      }),
      { numRuns: 1000 },
    );
  });
});
