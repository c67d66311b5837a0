/**
 * aggregateFiles, the file front end `realabel aggregate` calls: the same
 * fit and output bytes as aggregate() on the same file, and in-memory inputs
 * refused with a message naming the option.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { aggregate } from '../../src/aggregate/aggregate';
import { aggregateFiles } from '../../src/aggregate/files';
import { tmpDir } from '../helpers/tmp';

const dir = tmpDir('realabel-aggregate-files-');
const f = (name: string) => path.join(dir, name);
fs.writeFileSync(f('answers.csv'), 'task,worker,label\nt1,a,cat\nt1,b,dog\nt1,c,cat\nt2,a,dog\nt2,b,dog\nt2,c,bird\nt3,a,bird\nt3,b,bird\n');

test('writes what aggregate() writes, byte for byte', async () => {
  const a = await aggregateFiles({ answers: f('answers.csv'), method: 'ds', out: f('a.csv'), probsOut: f('a-probs.csv') });
  const b = await aggregate({ answers: f('answers.csv'), method: 'ds', out: f('b.csv'), probsOut: f('b-probs.csv') });
  expect(a.posterior).toEqual(b.posterior);
  expect(a.outputs).toEqual([f('a.csv'), f('a-probs.csv')]);
  expect(fs.readFileSync(f('a.csv'), 'utf8')).toBe(fs.readFileSync(f('b.csv'), 'utf8'));
  expect(fs.readFileSync(f('a-probs.csv'), 'utf8')).toBe(fs.readFileSync(f('b-probs.csv'), 'utf8'));
  expect(fs.readFileSync(f('a.csv'), 'utf8').split('\n')[0]).toBe('task,label,confidence');
});

test('in-memory inputs belong to aggregate(), not to the file front end', async () => {
  const answers = { question: Int32Array.of(0), worker: Int32Array.of(0), answer: Int32Array.of(2) };
  await expect(aggregateFiles({ answers: answers as unknown as string, method: 'mv' })).rejects.toThrow(/`answers` must be a file name/);
});
