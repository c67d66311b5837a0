/**
 * topkFile and `realabel topk` on .npy files: streaming equals in-memory
 * selection; bad files get a typed error naming the file, the CLI exits 1 with
 * one line and leaves no output file. The CLI runs from dist/ (`npx tsc` first).
 */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { halfToFloat, writeNpy } from '../../src/io/npy';
import { readNpz } from '../../src/io/npz';
import { nativeAddon } from '../../src/native/addon';
import { topkSync, topkFile, topkFileSync, TopKStreamSync, type Criterion } from '../../src/topk/topk';
import { tmpDir } from '../helpers/tmp';
import { expectSamePairs, rng, smoothMatrix, tiedMatrix } from './topk-helpers';

const BIN = path.resolve(__dirname, '..', '..', 'bin', 'realabel.js');
const dir = tmpDir('realabel-topk-');
let counter = 0;
const fresh = (name: string) => path.join(dir, `${counter++}-${name}`);

/** A version 1.0 .npy with the given header fields and raw payload. */
function npyBytes(descr: string, shape: number[], payload: Uint8Array): Buffer {
  const tuple = shape.length === 1 ? `(${shape[0]},)` : `(${shape.join(', ')})`;
  let header = `{'descr': '${descr}', 'fortran_order': False, 'shape': ${tuple}, }`;
  header += ' '.repeat((64 - ((10 + header.length + 1) % 64)) % 64) + '\n';
  const head = Buffer.alloc(10);
  Buffer.from([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, 1, 0]).copy(head);
  head.writeUInt16LE(header.length, 8);
  return Buffer.concat([head, Buffer.from(header, 'latin1'), payload]);
}

function writeF4(name: string, data: Float32Array, n: number, c: number): string {
  const file = fresh(name);
  writeNpy(file, { dtype: 'f4', shape: [n, c], data });
  return file;
}

function cli(args: string[]): { status: number | null; stdout: string; stderr: string } {
  const res = spawnSync(process.execPath, [BIN, 'topk', ...args], { encoding: 'utf8', env: { ...process.env, REALABEL_DEBUG: '' } });
  return { status: res.status, stdout: res.stdout, stderr: res.stderr };
}

describe('topkFile streams .npy files', () => {
  it('float32 and float64 files, any chunk size, equal in-memory selection', () => {
    const n = 173;
    const c = 29;
    const f32 = tiedMatrix(n, c, 1) as Float32Array;
    const f64 = tiedMatrix(n, c, 2, true) as Float64Array;
    const files: Array<[string, Float32Array | Float64Array]> = [[writeF4('a.npy', f32, n, c), f32], [fresh('b.npy'), f64]];
    writeNpy(files[1][0], { dtype: 'f8', shape: [n, c], data: f64 });
    for (const [file, data] of files) {
      for (const criterion of ['logit', 'prob'] as Criterion[]) {
        const want = topkSync(data, n, c, 700, { criterion, backend: 'ts' });
        for (const chunkRows of [1, 7, n]) {
          for (const backend of ['auto', 'ts'] as const) {
            const got = topkFileSync(file, 700, { criterion, chunkRows, backend });
            expect([got.n, got.c]).toEqual([n, c]);
            expectSamePairs(got.pairs, want);
          }
        }
      }
    }
  });

  // The file readers tell the native stream the total rows, so the first
  // chunk estimates the K-th key of the whole matrix; when the rows are not
  // alike that estimate fails and the file is read again without it.
  const nativeIt = nativeAddon() ? it : it.skip;
  nativeIt('the whole-matrix estimate of the first chunk: proven or re-read, the same pairs', async () => {
    const n = 4000;
    const c = 50;
    const k = 20000;
    const alike = smoothMatrix(n, c, 5);
    // Estimates from the first 1000 rows that too few keys reach: for logits,
    // rows far above the rest; for probabilities, flat rows before peaked ones.
    const skewed: Record<Criterion, Float32Array> = {
      logit: Float32Array.from(alike, (x, i) => (i < 1000 * c ? x + 40 : x)),
      prob: Float32Array.from(alike, (x, i) => (i < 1000 * c ? x / 10 : i % c === Math.floor(i / c) % c ? x + 40 : x)),
    };
    for (const criterion of ['logit', 'prob'] as Criterion[]) {
      for (const [name, data, unproven] of [['alike', alike, false], ['skewed', skewed[criterion], true]] as const) {
        const file = writeF4(`${name}-${criterion}.npy`, data, n, c);
        const stream = new TopKStreamSync(c, k, { criterion }, n);
        for (let r = 0; r < n; r += 1000) stream.push(data.subarray(r * c, (r + 1000) * c), 1000);
        expect(stream.unproven).toBe(unproven);
        if (unproven) expect(() => stream.finish()).toThrow(/not proven/);
        const want = topkSync(data, n, c, k, { criterion });
        expectSamePairs(topkFileSync(file, k, { criterion, chunkRows: 1000 }).pairs, want);
        expectSamePairs((await topkFile(file, k, { criterion, chunkRows: 1000 })).pairs, want);
        expectSamePairs(topkFileSync(file, k, { criterion, chunkRows: 1000, backend: 'ts' }).pairs, want);
      }
    }
  });

  it('float16 files are decoded to float32 first', () => {
    // Half-precision patterns of finite values, as a little-endian payload.
    const r = rng(3);
    const n = 40;
    const c = 12;
    const bits = new Uint16Array(n * c);
    const values = new Float32Array(n * c);
    for (let i = 0; i < bits.length; i++) {
      do bits[i] = Math.floor(r() * 65536);
      while (!Number.isFinite(halfToFloat(bits[i])));
      values[i] = halfToFloat(bits[i]);
    }
    const file = fresh('h.npy');
    fs.writeFileSync(file, npyBytes('<f2', [n, c], new Uint8Array(bits.buffer)));
    for (const criterion of ['logit', 'prob'] as Criterion[]) {
      expectSamePairs(topkFileSync(file, 100, { criterion, chunkRows: 9 }).pairs, topkSync(values, n, c, 100, { criterion, backend: 'ts' }));
    }
  });
});

describe('topkFile writes `out`', () => {
  it('sync and async front ends write the same pairs.npz bytes, and report the write time', async () => {
    const n = 120;
    const c = 30;
    const file = writeF4('logits.npy', smoothMatrix(n, c, 5), n, c);
    const a = fresh('a.npz');
    const b = fresh('b.npz');
    const sync = topkFileSync(file, 500, { criterion: 'prob', chunkRows: 7, out: a });
    const async = await topkFile(file, 500, { criterion: 'prob', chunkRows: 7, out: b });
    expect(fs.readFileSync(a).equals(fs.readFileSync(b))).toBe(true);
    expectSamePairs(async.pairs, sync.pairs);
    expect(readNpz(a).value.data).toEqual(sync.pairs.value);
    expect(sync.timingsMs.write).toBeGreaterThan(0);
    expect(topkFileSync(file, 500).timingsMs.write).toBe(0);
  });

  it('a missing output folder fails before any work', () => {
    const n = 4;
    const c = 3;
    const file = writeF4('small.npy', smoothMatrix(n, c, 6), n, c);
    expect(() => topkFileSync(file, 2, { out: path.join(dir, 'no-such-folder', 'p.npz') })).toThrow(/no-such-folder/);
  });
});

describe('realabel topk', () => {
  it('writes pairs.npz (image i4, label i4, value f4) and a --json summary', () => {
    const n = 300;
    const c = 40;
    const data = smoothMatrix(n, c, 4);
    const file = writeF4('logits.npy', data, n, c);
    for (const criterion of ['logit', 'prob'] as Criterion[]) {
      const out = fresh('pairs.npz');
      const res = cli([file, '--k', '1234', '--criterion', criterion, '--out', out, '--json', '--threads', '2']);
      expect(res.stderr).toBe('');
      expect(res.status).toBe(0);
      const summary = JSON.parse(res.stdout);
      expect(summary).toMatchObject({ k: 1234, n, c, criterion });
      for (const t of ['read', 'select', 'write']) expect(summary.timings_ms[t]).toBeGreaterThanOrEqual(0);
      const npz = readNpz(out);
      expect(Object.keys(npz).sort()).toEqual(['image', 'label', 'value']);
      expect([npz.image.dtype, npz.label.dtype, npz.value.dtype]).toEqual(['i4', 'i4', 'f4']);
      expect(npz.image.shape).toEqual([1234]);
      const want = topkSync(data, n, c, 1234, { criterion, backend: 'ts' });
      expectSamePairs(
        { image: npz.image.data as Int32Array, label: npz.label.data as Int32Array, value: npz.value.data as Float32Array },
        want,
      );
    }
  });

  it('--help shows examples', () => {
    const res = cli(['--help']);
    expect(res.status).toBe(0);
    expect(res.stdout).toContain('Examples:');
    expect(res.stdout).toContain('realabel topk logits.npy --k 150000');
  });
});

describe('bad input: typed error naming the file, exit 1, no output file', () => {
  const n = 10;
  const c = 5;
  const good = () => tiedMatrix(n, c, 9) as Float32Array;
  const cases: Array<{ name: string; make: () => string; k?: number; type: string; message: RegExp }> = [
    {
      name: 'truncated .npy',
      make: () => {
        const file = writeF4('trunc.npy', good(), n, c);
        const bytes = fs.readFileSync(file);
        fs.writeFileSync(file, bytes.subarray(0, bytes.length - 12));
        return file;
      },
      type: 'FormatError',
      message: /truncated/,
    },
    {
      name: 'wrong magic number',
      make: () => {
        const file = writeF4('magic.npy', good(), n, c);
        const bytes = fs.readFileSync(file);
        bytes[1] = 0x58;
        fs.writeFileSync(file, bytes);
        return file;
      },
      type: 'FormatError',
      message: /magic/,
    },
    {
      name: 'unsupported dtype (complex64)',
      make: () => {
        const file = fresh('complex.npy');
        fs.writeFileSync(file, npyBytes('<c8', [n, c], new Uint8Array(n * c * 8)));
        return file;
      },
      type: 'UnsupportedError',
      message: /unsupported dtype '<c8'/,
    },
    {
      name: 'integer matrix',
      make: () => {
        const file = fresh('int.npy');
        fs.writeFileSync(file, npyBytes('<i4', [n, c], new Uint8Array(n * c * 4)));
        return file;
      },
      type: 'UnsupportedError',
      message: /logits must be a float matrix \(f2, f4 or f8\), got dtype 'i4'/,
    },
    {
      name: 'header shape larger than the file',
      make: () => {
        const file = fresh('short.npy');
        fs.writeFileSync(file, npyBytes('<f4', [1000, c], new Uint8Array(good().buffer)));
        return file;
      },
      type: 'FormatError',
      message: /header declares shape \(1000, 5\)/,
    },
    {
      name: 'a 1-D array',
      make: () => {
        const file = fresh('vec.npy');
        fs.writeFileSync(file, npyBytes('<f4', [n * c], new Uint8Array(good().buffer)));
        return file;
      },
      type: 'ValidationError',
      message: /2-D matrix \[N, C\], got shape \(50\)/,
    },
    {
      name: 'NaN logits',
      make: () => {
        const d = good();
        d[7 * c + 2] = NaN;
        return writeF4('nan.npy', d, n, c);
      },
      type: 'ValidationError',
      message: /row 7, column 2 is NaN; top-K needs finite logits/,
    },
    {
      name: 'K out of range',
      make: () => writeF4('k.npy', good(), n, c),
      k: n * c + 1,
      type: 'ValidationError',
      message: /k = 51 is out of range \[1, 50\]/,
    },
  ];

  for (const tc of cases) {
    it(tc.name, () => {
      const file = tc.make();
      const k = tc.k ?? 3;
      for (const backend of ['auto', 'ts'] as const) {
        let err: unknown;
        try {
          topkFileSync(file, k, { backend, chunkRows: 4 });
        } catch (e) {
          err = e;
        }
        expect(err).toMatchObject({ name: tc.type, file });
        expect((err as Error).message.startsWith(`${file}: `)).toBe(true);
        expect((err as Error).message).toMatch(tc.message);
      }
      const outDir = fresh('out');
      fs.mkdirSync(outDir);
      const res = cli([file, '--k', String(k), '--out', path.join(outDir, 'pairs.npz'), '--json']);
      expect(res.status).toBe(1);
      expect(res.stdout).toBe('');
      const lines = res.stderr.trimEnd().split('\n');
      expect(lines).toHaveLength(1);
      expect(lines[0]).toContain(file);
      expect(lines[0]).toMatch(tc.message);
      expect(fs.readdirSync(outDir)).toEqual([]);
    });
  }

  it('a missing file and a bad --k are one-line errors without output', () => {
    const outDir = fresh('out');
    fs.mkdirSync(outDir);
    const missing = path.join(dir, 'nope.npy');
    let res = cli([missing, '--k', '3', '--out', path.join(outDir, 'p.npz')]);
    expect(res.status).toBe(1);
    expect(res.stderr.trimEnd().split('\n')).toHaveLength(1);
    expect(res.stderr).toContain(missing);
    res = cli([writeF4('ok.npy', good(), n, c), '--k', '0', '--out', path.join(outDir, 'p.npz')]);
    expect(res.status).toBe(1);
    expect(res.stderr).toContain('--k must be in [1,');
    expect(fs.readdirSync(outDir)).toEqual([]);
  });
});
