import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { NpyReader, encodeNpy, ndarray, parseNpy, readNpy, writeNpy, type NdArray } from '../../src/io/npy';
import { describeData, dataPath } from '../helpers/data';
import { tmpDir } from '../helpers/tmp';

const fixtures: Record<string, string> = JSON.parse(fs.readFileSync(path.join(__dirname, 'fixtures', 'npy.json'), 'utf8'));
const fx = (name: string) => parseNpy(Buffer.from(fixtures[name], 'base64'), name);
const list = (a: NdArray) => Array.from(a.data as ArrayLike<number | bigint | string>);

/** sha256 of the little-endian C-order data bytes, as numpy computes it for the checksums below. */
function digest(a: NdArray): string {
  const h = crypto.createHash('sha256');
  if (Array.isArray(a.data)) h.update(a.data.join('\n'), 'utf8');
  else h.update(new Uint8Array(a.data.buffer, a.data.byteOffset, a.data.byteLength));
  return h.digest('hex');
}

describe('npy: numpy-written files', () => {
  it('reads f4 v1.0', () => {
    const a = fx('f4_v1');
    expect(a.dtype).toBe('f4');
    expect(a.shape).toEqual([2, 3]);
    expect(list(a)).toEqual([0, 0.25, 0.5, 0.75, 1, 1.25]);
  });
  it('reads big-endian f8 and i8', () => {
    expect(list(fx('f8_be'))).toEqual([1.5, -2.25, 3e300]);
    const i = fx('i8_be');
    expect(i.shape).toEqual([2, 2]);
    expect(list(i)).toEqual([-1n, 2n ** 40n, 3n, -(2n ** 62n)]);
  });
  it('decodes float16 exactly', () => {
    const a = fx('f2');
    expect(a.dtype).toBe('f2');
    expect(list(a)).toEqual([0.5, -1, 65504, 2 ** -24, Infinity]);
  });
  it('reads small ints, u4 in format v2.0 and bools', () => {
    expect(list(fx('u2'))).toEqual([0, 65535, 7]);
    expect(list(fx('i1'))).toEqual([-128, 127, 0]);
    expect(list(fx('u4_v2'))).toEqual([1, 2, 4000000000]);
    expect(fx('b1').dtype).toBe('b1');
    expect(list(fx('b1'))).toEqual([1, 0, 1]);
  });
  it('reads unicode (format v3.0, astral code points) and bytes strings', () => {
    const u = fx('U_v3');
    expect(u.dtype).toBe('U28');
    expect(u.data).toEqual(['ab', 'ILSVRC2012_val_00000001.JPEG', 'é€😀']);
    expect(fx('S').data).toEqual(['xy', 'hello']);
  });
  it('transposes Fortran order to C order', () => {
    const a = fx('fortran');
    expect(a.shape).toEqual([2, 3, 4]);
    expect(list(a)).toEqual(Array.from({ length: 24 }, (_, i) => i));
  });
  it('reads 0-d and empty arrays', () => {
    expect(fx('scalar').shape).toEqual([]);
    expect(list(fx('scalar'))).toEqual([3.5]);
    expect(fx('empty').shape).toEqual([0, 5]);
    expect(fx('empty').data.length).toBe(0);
  });
});

describe('npy: writing', () => {
  const dir = tmpDir();
  it('round-trips every writable dtype and matches numpy bytes for f4', () => {
    const original = Buffer.from(fixtures.f4_v1, 'base64');
    expect(Buffer.from(encodeNpy(fx('f4_v1')))).toEqual(original);
    for (const name of ['f8_be', 'i8_be', 'u2', 'i1', 'u4_v2', 'b1', 'U_v3', 'S', 'fortran', 'scalar', 'empty']) {
      const a = fx(name);
      const back = parseNpy(encodeNpy(a));
      expect(back.shape).toEqual(a.shape);
      expect(list(back)).toEqual(list(a));
    }
  });
  it('writes atomically and streams rows back', () => {
    const file = path.join(dir, 'm.npy');
    const data = Float32Array.from({ length: 7 * 5 }, (_, i) => i * 0.5);
    writeNpy(file, ndarray(data, [7, 5]));
    expect(fs.readdirSync(dir)).toEqual(['m.npy']);
    const r = NpyReader.open(file);
    expect(r.shape).toEqual([7, 5]);
    const rows = r.readRows(2, 3);
    r.close();
    expect(rows.shape).toEqual([3, 5]);
    expect(list(rows)).toEqual(Array.from(data.subarray(10, 25)));
    expect(list(readNpy(file))).toEqual(Array.from(data));
  });
  it('streams row chunks through a ring of reused buffers, each valid for `slots` chunks', () => {
    const file = path.join(dir, 'ring.npy');
    const data = Float32Array.from({ length: 7 * 5 }, (_, i) => i - 3.5);
    writeNpy(file, ndarray(data, [7, 5]));
    const r = NpyReader.open(file);
    try {
      for (const slots of [1, 2, 3]) {
        const seen: { start: number; count: number; data: Float32Array }[] = [];
        for (const chunk of r.rowChunks(2, slots)) {
          const prev = seen[seen.length - slots + 1];
          // The chunk taken slots - 1 chunks ago is still intact.
          if (prev) expect(Array.from(prev.data)).toEqual(Array.from(data.subarray(prev.start * 5, (prev.start + prev.count) * 5)));
          seen.push({ start: chunk.start, count: chunk.count, data: chunk.data as Float32Array });
        }
        expect(seen.map((s) => [s.start, s.count])).toEqual([[0, 2], [2, 2], [4, 2], [6, 1]]);
        // Exactly `slots` distinct buffers were used, in turn.
        const buffers = new Set(seen.map((s) => s.data.buffer));
        expect(buffers.size).toBe(slots);
        seen.forEach((s, i) => expect(s.data.buffer).toBe(seen[i % slots].data.buffer));
      }
    } finally {
      r.close();
    }
  });
  it('refuses row streaming of Fortran-ordered matrices with a clear error', () => {
    const file = path.join(dir, 'f.npy');
    fs.writeFileSync(file, Buffer.from(fixtures.fortran, 'base64'));
    const r = NpyReader.open(file);
    expect(() => r.readRows(0, 1)).toThrow(/Fortran-ordered/);
    r.close();
  });
});

describe('npy: bad input gets a typed error naming the file', () => {
  const dir = tmpDir();
  const good = Buffer.from(fixtures.f4_v1, 'base64');
  const write = (name: string, bytes: Uint8Array) => {
    const f = path.join(dir, name);
    fs.writeFileSync(f, bytes);
    return f;
  };
  const expectError = (file: string, name: string, msg: RegExp) => {
    try {
      readNpy(file);
    } catch (e) {
      expect((e as Error).name).toBe(name);
      expect((e as Error).message).toContain(file);
      expect((e as Error).message).toMatch(msg);
      return;
    }
    throw new Error('expected an error');
  };
  it('truncated data', () => expectError(write('trunc.npy', good.subarray(0, good.length - 3)), 'FormatError', /truncated/));
  it('truncated header', () => expectError(write('head.npy', good.subarray(0, 40)), 'FormatError', /truncated/));
  it('wrong magic', () => {
    const b = Buffer.from(good);
    b[1] = 0x58;
    expectError(write('magic.npy', b), 'FormatError', /magic/);
  });
  it('unsupported dtype', () => {
    const b = Buffer.from(good.toString('latin1').replace("'<f4'", "'<c8'"), 'latin1');
    expectError(write('dtype.npy', b), 'UnsupportedError', /dtype '<c8'/);
  });
  it('header shape larger than the file', () => {
    const b = Buffer.from(good.toString('latin1').replace('(2, 3)', '(9, 3)'), 'latin1');
    expectError(write('shape.npy', b), 'FormatError', /declares shape \(9, 3\)/);
  });
  it('structured dtype and missing file', () => {
    const b = Buffer.from(good.toString('latin1').replace("'descr': '<f4'", "'descr': [('a', '<f4')]").slice(0, good.length), 'latin1');
    expect(() => parseNpy(b, 'st.npy')).toThrow(/st\.npy/);
    expectError(path.join(dir, 'nope.npy'), 'FormatError', /no such file/);
  });
});

describeData('npy: every .npy in ../shared/data matches numpy checksums', () => {
  const expected: Array<[string, string, number[], string, number]> = [
    ['imagenet-val/imagenet_val_cleanlab_top1.npy', 'i2', [50000], 'f12e187aae6c05ca0ead84a79547f753ad65ef090a1335a70479e7ba6d9a7394', 25143024],
    ['imagenet-val/imagenet_val_original_labels.npy', 'i2', [50000], 'f5350687a5a78da7e645040d352767bc06c1c99d9dfb34f1623b2d1a1d046b76', 24975000],
    ['cifar10/cifar10_test_probs.npy', 'f8', [10000, 10], '9303b7292a7834b1f27491c70116a8948d35d628ae84c28c3c5ec3e53c446db0', 9999.999981476078],
    ['cifar10/cifar10_test_labels.npy', 'u2', [10000], '0777b4d8d34036efebed9da06220dbfe33d5f06a32a55d7e609dc42fe510775f', 45000],
  ];
  it.each(expected)('%s', (file, dtype, shape, sha, sum) => {
    const a = readNpy(dataPath(file));
    expect(a.dtype).toBe(dtype);
    expect(a.shape).toEqual(shape);
    expect(digest(a)).toBe(sha);
    let s = 0;
    for (const v of a.data as Float64Array) s += Number(v);
    expect(s).toBeCloseTo(sum, 6);
  });
});
