import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { NpzReader, readNpz, readNpzAsync, writeNpz } from '../../src/io/npz';
import { ndarray, type NdArray } from '../../src/io/npy';
import { describeData, dataPath } from '../helpers/data';
import { tmpDir } from '../helpers/tmp';

const fixtures: Record<string, string> = JSON.parse(fs.readFileSync(path.join(__dirname, 'fixtures', 'npz.json'), 'utf8'));

function digest(a: NdArray): string {
  const h = crypto.createHash('sha256');
  if (Array.isArray(a.data)) h.update(a.data.join('\n'), 'utf8');
  else h.update(new Uint8Array(a.data.buffer, a.data.byteOffset, a.data.byteLength));
  return h.digest('hex');
}

describe('npz', () => {
  const dir = tmpDir();
  const put = (name: string, bytes: Uint8Array) => {
    const f = path.join(dir, name);
    fs.writeFileSync(f, bytes);
    return f;
  };

  it('reads numpy savez (stored) and savez_compressed (deflate), sync and async', async () => {
    const stored = readNpz(put('s.npz', Buffer.from(fixtures.stored, 'base64')));
    expect(Array.from(stored.a.data as Int32Array)).toEqual([0, 1, 2, 3, 4]);
    expect(stored.s.data).toEqual(['x', 'yz']);
    const file = put('c.npz', Buffer.from(fixtures.compressed, 'base64'));
    for (const z of [readNpz(file), await readNpzAsync(file)]) {
      expect(z.a.shape).toEqual([1000]);
      expect((z.a.data as Float64Array)[999]).toBe(999);
      expect(z.s.data).toEqual(['x', 'yz']);
    }
  });

  it('round-trips its own archives, stored and compressed, and streams chunks', async () => {
    const m = Float32Array.from({ length: 10 * 4 }, (_, i) => Math.sin(i));
    for (const compress of [false, true]) {
      const file = path.join(dir, `rt-${compress}.npz`);
      writeNpz(file, { m: ndarray(m, [10, 4]), names: ndarray(['a', 'bcd']) }, { compress });
      const z = readNpz(file);
      expect(Array.from(z.m.data as Float32Array)).toEqual(Array.from(m));
      expect(z.names.data).toEqual(['a', 'bcd']);
      const r = NpzReader.open(file);
      const starts: number[] = [];
      const got: number[] = [];
      for (const c of r.chunks('m', 3)) {
        starts.push(c.start);
        got.push(...(c.rows.data as Float32Array));
      }
      const asyncGot: number[] = [];
      for await (const c of r.chunksAsync('m', 4)) asyncGot.push(...(c.rows.data as Float32Array));
      r.close();
      expect(starts).toEqual([0, 3, 6, 9]);
      expect(got).toEqual(Array.from(m));
      expect(asyncGot).toEqual(Array.from(m));
    }
  });

  it('names the file and the problem for bad archives', async () => {
    const good = Buffer.from(fixtures.compressed, 'base64');
    const cut = put('cut.npz', good.subarray(0, good.length - 30));
    expect(() => readNpz(cut)).toThrow(/cut\.npz: .*(truncated|corrupt|central directory)/);
    const junk = put('junk.npz', Buffer.from('definitely not a zip file'));
    expect(() => readNpz(junk)).toThrow(/junk\.npz: not a zip/);
    const file = put('ok.npz', good);
    expect(() => readNpz(file, ['missing'])).toThrow(/ok\.npz: has no array 'missing'/);
    // Corrupt the deflate stream itself.
    const bad = Buffer.from(good);
    for (let i = 60; i < 90; i++) bad[i] ^= 0xff;
    const corrupt = put('corrupt.npz', bad);
    expect(() => readNpz(corrupt)).toThrow(/corrupt\.npz/);
    await expect(readNpzAsync(corrupt)).rejects.toThrow(/corrupt\.npz/);
  });
});

describeData('npz: the ReaL release matches numpy checksums', () => {
  const expected: Array<[string, string, string, number[], string]> = [
    ['raters.npz', 'tensor', 'f8', [85, 184962, 3], 'd98e27fcbf1a3dbd7acab134eb191ddd3814fb3d055c415cff9dea7897eff5c3'],
    ['raters.npz', 'info', 'U28', [184962, 2], 'e104db60a43950d7b412263ce49714117df0b2cc7aff4139e907223aa5d0edbe'],
    ['raters.npz', 'ids', 'i8', [85], '50a654592d202309037e6643c2096ef4c182477f07456b6a7212617b4fa4d7dd'],
    ['golden.npz', 'tensor', 'f8', [5, 1135, 3], '7cb636edf652d7383b733664291091731f6d778aa34042015bed436555f1d4a9'],
    ['golden.npz', 'info', 'U28', [1135, 2], 'fffb33120158ff7b845454142c7fd756a437a43325577e27177ebab33302b635'],
    ['golden.npz', 'ids', 'i8', [5], 'a9dcb3224f58d3a6a57524774cba68ab227a467e84e543b52ff604b0eedc8158'],
    ['raters_golden.npz', 'tensor', 'f8', [78, 1135, 3], '667d45e2c74c755f68b1aa22f33e2d7e769dd9d5bbbb13abf88a9ae29e7a4e19'],
    ['raters_golden.npz', 'ids', 'i8', [78], '392a11dede4783c82771e9fc5a09a772d8e845e638b4e7d7547e8b62ece85b9d'],
    ['scores.npz', 'tensor', 'f8', [184962], 'c707a3e65f6e732119698e96551fc85431ee1a6d2dba9c6129b7ed7fd130d34e'],
    ['scores.npz', 'info', 'U28', [184962, 2], 'e104db60a43950d7b412263ce49714117df0b2cc7aff4139e907223aa5d0edbe'],
  ];
  it.each(expected)('%s[%s]', async (file, name, dtype, shape, sha) => {
    const a = (await readNpzAsync(dataPath('reassessed-imagenet', file), [name]))[name];
    expect(a.dtype).toBe(dtype);
    expect(a.shape).toEqual(shape);
    expect(digest(a)).toBe(sha);
  });
  it('streams raters.npz tensor in chunks that sum to the 924,810 answers', () => {
    const r = NpzReader.open(dataPath('reassessed-imagenet', 'raters.npz'));
    let sum = 0;
    let rows = 0;
    for (const c of r.chunks('tensor', 10)) {
      rows += c.rows.shape[0];
      for (const v of c.rows.data as Float64Array) sum += v;
    }
    r.close();
    expect(rows).toBe(85);
    expect(sum).toBe(924810);
  });
});
