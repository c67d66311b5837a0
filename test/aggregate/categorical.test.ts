/**
 * Categorical aggregation as a crowd-kit user expects it: label order
 * (numeric labels by value), true/false JSON labels, the full posterior
 * (fit_predict_proba's layout) as CSV or .npz, a categorical --out .npz
 * written as npz, and a header-only file refused naming it.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { parse } from 'csv-parse/sync';
import { aggregate } from '../../src/aggregate/aggregate';
import { categoricalAlphabet } from '../../src/io/label-order';
import { readNpz } from '../../src/io/npz';
import { tmpDir } from '../helpers/tmp';

const dir = tmpDir('realabel-categorical-');
const f = (name: string) => path.join(dir, name);

describe('label order', () => {
  it('numbers by value (2.0 before 10.0), else by text', () => {
    expect(categoricalAlphabet(['10.0', '2.0', '-1', '1e1', '.5'])).toEqual(['-1', '.5', '2.0', '10.0', '1e1']);
    expect(categoricalAlphabet(['10', '9', '2'])).toEqual(['2', '9', '10']);
    expect(categoricalAlphabet(['2', '2.0'])).toEqual(['2', '2.0']); // equal values, distinct labels: by text
    expect(categoricalAlphabet(['10', 'cat', '9'])).toEqual(['10', '9', 'cat']);
    expect(categoricalAlphabet(['true', 'false'])).toEqual(['false', 'true']);
    expect(categoricalAlphabet(['Infinity', '1', '0x10'])).toEqual(['0x10', '1', 'Infinity']); // not decimal numbers
  });
});

describe('aggregate, categorical', () => {
  const csv = f('answers.csv');
  fs.writeFileSync(csv, 'task,worker,label\nt1,a,2.0\nt1,b,10.0\nt1,c,2.0\nt2,a,10.0\nt2,b,10.0\nt2,c,1.5\nt3,"x,y",1.5\nt3,b,1.5\n');

  it('orders numeric labels by value, and --probs-out CSV has task and one column per label', async () => {
    const r = await aggregate({ answers: csv, method: 'ds', probsOut: f('probs.csv'), out: f('labels.csv') });
    expect(r.classes).toEqual(['1.5', '2.0', '10.0']);
    const rows = parse(fs.readFileSync(f('probs.csv'), 'utf8'), { columns: true }) as Array<Record<string, string>>;
    expect(Object.keys(rows[0])).toEqual(['task', '1.5', '2.0', '10.0']);
    expect(rows.map((row) => row.task)).toEqual(['t1', 't2', 't3']);
    rows.forEach((row, q) => {
      r.classes.forEach((c, k) => expect(Number(row[c])).toBe(r.posterior[q * 3 + k]));
      expect(Math.abs(r.classes.reduce((s, c) => s + Number(row[c]), 0) - 1)).toBeLessThan(1e-12);
    });
    const labels = parse(fs.readFileSync(f('labels.csv'), 'utf8'), { columns: true }) as Array<Record<string, string>>;
    expect(labels.map((l) => l.label)).toEqual(['2.0', '10.0', '1.5']);
  });

  it('writes --probs-out and a categorical --out as .npz when they end in .npz', async () => {
    const r = await aggregate({ answers: csv, method: 'mv', probsOut: f('probs.npz'), out: f('labels.npz') });
    const probs = readNpz(f('probs.npz'));
    expect(probs.task.data).toEqual(['t1', 't2', 't3']);
    expect(probs.label.data).toEqual(['1.5', '2.0', '10.0']);
    expect(probs.probs.shape).toEqual([3, 3]);
    expect(Array.from(probs.probs.data as Float64Array)).toEqual(Array.from(r.posterior));
    const labels = readNpz(f('labels.npz'));
    expect(labels.task.data).toEqual(['t1', 't2', 't3']);
    expect(labels.label.data).toEqual(['2.0', '10.0', '1.5']);
    expect(Array.from(labels.confidence.data as Float64Array)).toEqual([2 / 3, 2 / 3, 1]);
  });

  it('accepts true/false JSON labels', async () => {
    const jsonl = f('bool.jsonl');
    fs.writeFileSync(jsonl, ['{"task":"t1","worker":"a","label":true}', '{"task":"t1","worker":"b","label":false}', '{"task":"t1","worker":"c","label":true}', '{"task":"t2","worker":"a","label":false}'].join('\n'));
    const r = await aggregate({ answers: jsonl, method: 'mv', out: f('bool.csv') });
    expect(r.classes).toEqual(['false', 'true']);
    expect(fs.readFileSync(f('bool.csv'), 'utf8')).toBe(`task,label,confidence\nt1,true,${2 / 3}\nt2,false,1\n`);
  });

  it('a header-only file is an error naming it; nothing is written', async () => {
    const empty = f('header-only.csv');
    fs.writeFileSync(empty, 'task,worker,label\n');
    await expect(aggregate({ answers: empty, method: 'ds', out: f('e.csv'), probsOut: f('e-probs.csv') })).rejects.toMatchObject({
      code: 'E_VALIDATION',
      message: `${empty}: has no answers (a header alone is not an answer table)`,
    });
    expect(fs.existsSync(f('e.csv'))).toBe(false);
    expect(fs.existsSync(f('e-probs.csv'))).toBe(false);
  });
});
