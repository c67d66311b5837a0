import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { RealabelError } from '../../src/errors';
import { withTempFile, withTempFileSync, writeFileAtomicSync } from '../../src/io/atomic';
import { tmpDir } from '../helpers/tmp';

const BIN = path.resolve(__dirname, '..', '..', 'bin', 'realabel.js');

describe('atomic output', () => {
  const dir = tmpDir('realabel-atomic-');

  it('a missing output folder or a directory in the way is a typed error naming the target, leaving nothing', async () => {
    const missing = path.join(dir, 'nope', 'out.json');
    expect(() => writeFileAtomicSync(missing, 'x')).toThrow(`${missing}: output directory ${path.dirname(missing)} does not exist`);
    const sub = path.join(dir, 'sub');
    fs.mkdirSync(sub);
    fs.writeFileSync(path.join(sub, 'keep'), '');
    let caught: unknown;
    await withTempFile(sub, async (tmp) => fs.promises.writeFile(tmp, 'x')).catch((e: unknown) => (caught = e));
    expect(caught).toBeInstanceOf(RealabelError);
    expect((caught as RealabelError).code).toBe('E_OUTPUT');
    expect((caught as Error).message).toBe(`${sub}: output path is a directory`);
    expect(fs.readdirSync(dir).sort()).toEqual(['sub']);
    expect(fs.readdirSync(sub)).toEqual(['keep']);
  });

  it('errors that are not about the output pass through unchanged, and the temp file goes', () => {
    const boom = new Error('boom');
    const target = path.join(dir, 'b.txt');
    expect(() =>
      withTempFileSync(target, (tmp) => {
        fs.writeFileSync(tmp, 'partial');
        throw boom;
      }),
    ).toThrow(boom);
    expect(fs.readdirSync(dir).filter((f) => f.includes('b.txt'))).toEqual([]);
  });

  it('the CLI exits 1 with one line when the output folder is missing', () => {
    const labels = path.join(dir, 'labels.json');
    fs.writeFileSync(labels, '[[1], [2, 3]]');
    const out = path.join(dir, 'missing', 'x.jsonl');
    const r = spawnSync(process.execPath, [BIN, 'export', '--labels', labels, '--format', 'jsonl', '--out', out], { encoding: 'utf8' });
    expect(r.status).toBe(1);
    expect(r.stderr.trim().split('\n')).toEqual([`realabel: ${out}: output directory ${path.dirname(out)} does not exist`]);
  });
});
