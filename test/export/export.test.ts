import * as fs from 'node:fs';
import * as path from 'node:path';
import { exportLabels } from '../../src/export/export';
import { readNpy } from '../../src/io/npy';
import { describeData, dataPath } from '../helpers/data';
import { tmpDir } from '../helpers/tmp';
import { runCli } from '../evaluate/run-cli';

const REAL = dataPath('reassessed-imagenet', 'real.json');

describe('exportLabels (in memory)', () => {
  it('builds multi-hot rows and JSON lines', () => {
    const r = exportLabels({ labels: [[2, 0], [], [1]], format: 'multihot', numClasses: 3 });
    expect(r.format === 'multihot' && Array.from(r.data)).toEqual([1, 0, 1, 0, 0, 0, 0, 1, 0]);
    const j = exportLabels({ labels: [[2, 0], []], format: 'jsonl', numClasses: 3, names: ['a', 'b', 'c'] });
    expect(j.format === 'jsonl' && j.text).toBe('{"index":0,"labels":[2,0],"names":["c","a"]}\n{"index":1,"labels":[],"names":[]}\n');
    expect(() => exportLabels({ labels: [[3]], format: 'multihot', numClasses: 3, file: 'x.json' })).toThrow('x.json: image 0: label 3 is not a class index in [0, 3)');
  });
});

describeData('realabel export on real.json', () => {
  const dir = tmpDir();
  const sets: number[][] = JSON.parse(fs.readFileSync(REAL, 'utf8'));

  it('writes N x C uint8 multi-hot targets', () => {
    const out = path.join(dir, 'mh.npy');
    const r = runCli(['export', '--labels', REAL, '--format', 'multihot', '--out', out]);
    expect(r.code).toBe(0);
    const a = readNpy(out);
    expect(a.dtype).toBe('u1');
    expect(a.shape).toEqual([50000, 1000]);
    const data = a.data as Uint8Array;
    let ones = 0;
    for (let i = 0; i < data.length; i++) ones += data[i];
    expect(ones).toBe(57553);
    for (let i = 0; i < 50000; i += 97) {
      const row = Array.from(data.subarray(i * 1000, (i + 1) * 1000)).flatMap((v, c) => (v ? [c] : []));
      expect(row).toEqual([...sets[i]].sort((x, y) => x - y));
    }
  });

  it('writes JSON lines that read back as the same sets', () => {
    const out = path.join(dir, 'real.jsonl');
    expect(runCli(['export', '--labels', REAL, '--format', 'jsonl', '--out', out]).code).toBe(0);
    const lines = fs.readFileSync(out, 'utf8').trim().split('\n').map((l) => JSON.parse(l));
    expect(lines.map((l) => l.labels)).toEqual(sets);
    expect(lines[1].index).toBe(1);
  });

  it('refuses a label >= --classes, naming the file, writing nothing', () => {
    const out = path.join(dir, 'never.npy');
    const r = runCli(['export', '--labels', REAL, '--format', 'multihot', '--classes', '900', '--out', out]);
    expect(r.code).toBe(1);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toMatch(/real\.json: entry \d+ has label 9\d\d, out of range \[0, 900\)/);
    expect(fs.existsSync(out)).toBe(false);
  });
});
