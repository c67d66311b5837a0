import * as fs from 'node:fs';
import * as path from 'node:path';
import { ENTITY_OFFSET, WordNetNouns, parseNounLine, wnidOffset } from '../../src/tasks/wordnet';
import { canonicalPath, classHierarchy } from '../../src/tasks/hierarchy';
import { dataPath, describeData } from '../helpers/data';
import { tmpDir } from '../helpers/tmp';

const DOG = 2084071; // dog.n.01: hypernyms canine.n.02 and domestic_animal.n.01
const CANINE = 2083346;
const DOMESTIC_ANIMAL = 1317541;

describe('WordNet 3.0 noun reader', () => {
  let wn: WordNetNouns;
  beforeAll(() => {
    wn = WordNetNouns.open();
  });
  afterAll(() => wn.close());

  it('reads a synset by byte offset (tench = n01440764)', () => {
    const s = wn.synset(wnidOffset('n01440764'));
    expect(s.words).toEqual(['tench', 'Tinca tinca']);
    expect(s.hypernyms).toEqual([1439121]);
  });

  it('follows every hypernym path of a synset with two parents down from entity', () => {
    expect(wn.synset(DOG).hypernyms.sort()).toEqual([DOMESTIC_ANIMAL, CANINE].sort());
    const paths = wn.hypernymPaths(DOG);
    expect(paths.length).toBeGreaterThanOrEqual(2);
    for (const p of paths) {
      expect(p[0]).toBe(ENTITY_OFFSET);
      expect(p[p.length - 1]).toBe(DOG);
      for (let i = 1; i < p.length; i++) expect(wn.synset(p[i]).hypernyms).toContain(p[i - 1]);
    }
    // the canonical path is the longest one, through canine (the more specific chain)
    const c = canonicalPath(paths);
    expect(c.length).toBe(Math.max(...paths.map((p) => p.length)));
    expect(c).toContain(CANINE);
  });

  it('reads instance hypernyms (@i) too', () => {
    // Mississippi (the river) n09365128 is an instance of river n09411430
    const line = '09365128 17 n 01 Mississippi 0 002 @i 09411430 n 0000 #p 09462760 n 0000 | a major river';
    expect(parseNounLine(line, 9365128).hypernyms).toEqual([9411430]);
  });

  it('refuses an offset that does not start the requested synset (a mismatched WordNet version)', () => {
    expect(() => wn.synset(DOG + 1)).toThrow(/does not start synset n02084072.*WordNet 3\.0/);
    expect(() => wn.synset(DOG + 1)).toThrow(expect.objectContaining({ name: 'FormatError' }));
  });

  const dir = tmpDir();
  it('reports malformed lines and bad ids with the file name', () => {
    const file = path.join(dir, 'data.noun');
    fs.writeFileSync(file, '00000000 03 n 01 thing 0 00x @ 1 | broken\n');
    const bad = WordNetNouns.open(file);
    try {
      expect(() => bad.synset(0)).toThrow(`${file}: malformed synset line n00000000: bad pointer count`);
      expect(() => bad.synset(10_000)).toThrow(/outside the file/);
    } finally {
      bad.close();
    }
    expect(() => WordNetNouns.open(path.join(dir, 'missing.noun'))).toThrow(/missing\.noun: cannot open/);
    expect(() => wnidOffset('v01440764', 'synset.txt')).toThrow("synset.txt: 'v01440764' is not a WordNet noun id");
  });
});

describeData('WordNet hierarchy of the 1,000 ImageNet classes', () => {
  const wnids = fs
    .readFileSync(dataPath('imagenet-classes', 'synset.txt'), 'utf8')
    .trim()
    .split('\n')
    .map((l) => l.slice(0, 9));

  it('builds every class path to entity', () => {
    // Its speed is bench/tasks.js's to show: a timed bound here fails on a loaded machine.
    const h = classHierarchy(wnids);
    expect(h.paths).toHaveLength(1000);
    h.paths.forEach((p, i) => {
      expect(p[0]).toBe(ENTITY_OFFSET);
      expect(p[p.length - 1]).toBe(wnidOffset(wnids[i]));
      expect(h.ancestors[i]).toEqual(expect.arrayContaining(p));
    });
    // Canonical paths agree on shared synsets, so together they form one tree.
    const prefixOf = new Map<number, string>();
    for (const p of h.paths) {
      p.forEach((node, k) => {
        const prefix = p.slice(0, k).join(' ');
        expect(prefixOf.get(node) ?? prefix).toBe(prefix);
        prefixOf.set(node, prefix);
      });
    }
    // The 118 dog classes (151..268) share dog.n.01 on their canonical path.
    for (let c = 151; c <= 268; c++) expect(h.paths[c]).toContain(DOG);
    expect(h.paths[150]).not.toContain(DOG);
    expect(h.paths[269]).not.toContain(DOG);
  });
});
