import * as fs from 'node:fs';
import * as path from 'node:path';
import { readLabelSets, writeLabelSets } from '../../src/io/labels';
import { readSynsets, shortName } from '../../src/io/synsets';
import { describeData, dataPath } from '../helpers/data';
import { tmpDir } from '../helpers/tmp';

describeData('label files from the release', () => {
  const dir = tmpDir();
  it('real.json: 50,000 sets, 57,553 labels on 46,837 images, rewritten byte-identically', () => {
    const file = dataPath('reassessed-imagenet', 'real.json');
    const sets = readLabelSets(file, { numClasses: 1000, n: 50000 });
    expect(sets.length).toBe(50000);
    expect(sets.reduce((a, s) => a + s.length, 0)).toBe(57553);
    expect(sets.filter((s) => s.length > 0).length).toBe(46837);
    expect(sets[1]).toEqual([970, 795]);
    const out = path.join(dir, 'real.json');
    writeLabelSets(out, sets);
    expect(fs.readFileSync(out)).toEqual(fs.readFileSync(file));
  });
  it('synset.txt: 1000 classes', () => {
    const s = readSynsets(dataPath('imagenet-classes', 'synset.txt'), { expected: 1000 });
    expect(s[0]).toEqual({ wnid: 'n01440764', name: 'tench, Tinca tinca' });
    expect(shortName(s[527])).toBe('desktop computer');
    expect(() => readSynsets(dataPath('imagenet-classes', 'synset.txt'), { expected: 10 })).toThrow(/synset\.txt: has 1000 classes, expected 10/);
  });
});

describe('label files: bad input', () => {
  const dir = tmpDir();
  const put = (name: string, text: string) => {
    const f = path.join(dir, name);
    fs.writeFileSync(f, text);
    return f;
  };
  it('rejects non-JSON, wrong shapes and out-of-range labels, naming the file', () => {
    expect(() => readLabelSets(put('a.json', '[[1], [2'))).toThrow(/a\.json: not valid JSON/);
    expect(() => readLabelSets(put('b.json', '{"x": 1}'))).toThrow(/b\.json: expected a JSON list/);
    expect(() => readLabelSets(put('c.json', '[[1], [1000]]'), { numClasses: 1000 })).toThrow(/c\.json: entry 1 has label 1000/);
    expect(() => readLabelSets(put('d.json', '[[1, 1]]'))).toThrow(/d\.json: entry 0 lists label 1 twice/);
    expect(() => readLabelSets(put('e.json', '[[1.5]]'))).toThrow(/e\.json: entry 0 has an invalid label/);
    expect(() => readLabelSets(put('f.json', '[[1]]'), { n: 2 })).toThrow(/f\.json: has 1 label sets, expected 2/);
    expect(() => readSynsets(put('s.txt', 'n01440764 tench\nbad line\n'))).toThrow(/s\.txt: line 2/);
  });
});
