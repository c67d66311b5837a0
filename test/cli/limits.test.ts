/**
 * Size limits of whole files (docs/limits.md), through the CLI: .npy files
 * whose headers declare shapes at and past the int32 / 4 GiB / 2^53
 * boundaries, and text files past the longest JS string. The files are
 * sparse (ftruncate), so a limit checked by validation costs nothing, and one
 * checked by allocation would show as a crash or an internal error.
 */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { encodeNpy, npyHeader } from '../../src/io/npy';
import { tmpDir } from '../helpers/tmp';

const BIN = path.resolve(__dirname, '..', '..', 'bin', 'realabel.js');
const dir = tmpDir('realabel-limits-');
const f = (name: string) => path.join(dir, name);

/** A .npy of this shape whose data is a hole: no disk used. */
function sparseNpy(name: string, dtype: string, shape: number[], itemsize: number): void {
  const header = npyHeader(dtype, shape);
  const fd = fs.openSync(f(name), 'w');
  try {
    fs.writeSync(fd, header);
    fs.ftruncateSync(fd, header.length + shape.reduce((a, b) => a * b, 1) * itemsize);
  } finally {
    fs.closeSync(fd);
  }
}

function sparseText(name: string, bytes: number): void {
  const fd = fs.openSync(f(name), 'w');
  fs.ftruncateSync(fd, bytes);
  fs.closeSync(fd);
}

let sparse = true;
beforeAll(() => {
  sparseNpy('rows.npy', 'f4', [2 ** 31, 1], 4); // N past int32
  sparseNpy('cols.npy', 'f4', [1, 2 ** 31], 4); // C past int32
  sparseNpy('wide.npy', 'f4', [1, 2 ** 30 + 1], 4); // one row past 4 GiB
  sparseNpy('orig-big.npy', 'i4', [2 ** 30 + 1], 4); // labels past 4 GiB
  sparseText('huge.json', 2 ** 29 + 1);
  sparse = fs.statSync(f('rows.npy')).blocks * 512 < 1 << 20;
  // A header that claims (2^31 - 1) x (2^31 - 1) floats in a file of a few bytes.
  const small = Buffer.from(encodeNpy({ dtype: 'f4', shape: [1, 1], data: new Float32Array(1) })).toString('latin1');
  fs.writeFileSync(f('claims.npy'), Buffer.from(small.replace('(1, 1)', '(2147483647, 2147483647)'), 'latin1'));
  fs.writeFileSync(f('one.json'), '[[0]]');
  fs.writeFileSync(f('orig1.npy'), encodeNpy({ dtype: 'i4', shape: [1], data: new Int32Array(1) }));
});

const cases: Array<[string, string[], string, RegExp]> = [
  ['topk: N = 2^31', ['topk', 'rows.npy', '--k', '3', '--out', 'o.npz'], 'rows.npy', /shape \(2147483648, 1\) is not supported/],
  ['topk: C = 2^31', ['topk', 'cols.npy', '--k', '3', '--out', 'o.npz'], 'cols.npy', /shape \(1, 2147483648\) is not supported/],
  ['topk: a row past 4 GiB', ['topk', 'wide.npy', '--k', '3', '--out', 'o.npz'], 'wide.npy', /needs 4294967300 bytes at once, more than one buffer can hold/],
  ['topk: N * C claimed past 2^53 bytes', ['topk', 'claims.npy', '--k', '3', '--out', 'o.npz'], 'claims.npy', /is too large|truncated/],
  ['propose: N = 2^31', ['propose', '--logits', 'rows.npy', '--original', 'orig1.npy', '--out', 'o.npz'], 'rows.npy', /shape \(2147483648, 1\) is not supported: .*int32/],
  ['propose: a row past 4 GiB', ['propose', '--logits', 'wide.npy', '--original', 'orig1.npy', '--out', 'o.npz'], 'wide.npy', /one row of logits needs 4294967300 bytes/],
  ['evaluate: C = 2^31', ['evaluate', '--labels', 'one.json', '--predictions', 'cols.npy'], 'cols.npy', /more than 2\^31 - 1 classes/],
  ['evaluate: a row past 4 GiB', ['evaluate', '--labels', 'one.json', '--predictions', 'wide.npy'], 'wide.npy', /one row of scores needs 4294967300 bytes/],
  ['clean: a row past 4 GiB', ['clean', '--labels', 'orig1.npy', '--predictions', 'wide.npy', '--out', 'k.txt'], 'wide.npy', /one row of scores needs/],
  ['analyze: C = 2^31', ['analyze', '--labels', 'one.json', '--original', 'orig1.npy', '--predictions', 'cols.npy', '--out', 'rep'], 'cols.npy', /more than 2\^31 - 1 classes/],
  ['clean: labels past 4 GiB', ['clean', '--labels', 'orig-big.npy', '--predictions', 'orig1.npy', '--out', 'k.txt'], 'orig-big.npy', /needs 4294967300 bytes at once/],
  ['export: real.json past the longest string', ['export', '--labels', 'huge.json', '--format', 'jsonl', '--out', 'o.jsonl'], 'huge.json', /more than one text string can hold/],
];

describe('files past the supported sizes fail by validation, with exit 1 and one line', () => {
  it.each(cases)('%s', (_, args, names, says) => {
    if (!sparse) return console.warn('skipping: this file system does not keep sparse files');
    // A run that read that much would not end within spawnSync's timeout (killed: status null).
    const r = spawnSync(process.execPath, [BIN, ...args], { cwd: dir, encoding: 'utf8', timeout: 30_000 });
    expect({ status: r.status, stderr: r.stderr }).toEqual({ status: 1, stderr: expect.stringMatching(/^realabel: [^\n]+\n$/) });
    expect(r.stderr).toContain(names);
    expect(r.stderr).toMatch(says);
    for (const out of ['o.npz', 'o.jsonl', 'k.txt', 'rep']) expect(fs.existsSync(f(out))).toBe(false);
  });
});
