/**
 * A made-up class list for the demo, ImageNet-like: C real WordNet 3.0 noun
 * synsets (so `tasks` can split along WordNet), in small groups of sibling
 * leaves (breeds of dog, kinds of chair...), animals first (ImageNet's first
 * 398 of 1,000 classes are animals), related groups next to each other. The
 * simulator's extra labels are neighbouring classes, so they are siblings,
 * like the confusable classes behind ImageNet's multi-label images.
 * Read from the `data.noun` that `tasks` uses (npm `wordnet@2.0.0`).
 */
import * as fs from 'node:fs';
import { UsageError } from '../errors';
import type { Synset } from '../io/synsets';
import { defaultDataNoun, offsetWnid } from '../tasks/wordnet';

/** Share of animal classes, as in ImageNet-1k (398 of 1,000). */
export const ANIMAL_SHARE = 0.398;

const ANIMAL = 15388; // animal.n.01
/** Other roots classes come from, in order: artifact, food, plant. */
const OTHER_ROOTS = [21939, 21265, 17222];
const MIN_GROUP = 3;
/** Groups come from categories at least this deep below their root (skips catch-alls like "critter"). */
const MIN_DEPTH = 3;
const MAX_GROUP = 6;

export interface DemoClasses {
  synsets: Synset[];
  /** Classes [0, animals) are animals. */
  animals: number;
}

interface Noun {
  words: string[];
  hyponyms: number[];
}

/** Parses the synsets' words and hyponym pointers (`~`) from data.noun. */
function readNouns(file: string): Map<number, Noun> {
  const nouns = new Map<number, Noun>();
  for (const line of fs.readFileSync(file, 'latin1').split('\n')) {
    if (line === '' || line.startsWith(' ')) continue; // licence header
    const t = line.slice(0, line.indexOf(' | ')).split(' ');
    const wCnt = parseInt(t[3], 16);
    const words = Array.from({ length: wCnt }, (_, w) => t[4 + 2 * w].replace(/_/g, ' ').replace(/\(.*\)$/, ''));
    let i = 4 + 2 * wCnt;
    const pCnt = Number(t[i++]);
    const hyponyms: number[] = [];
    for (let p = 0; p < pCnt; p++, i += 4) if (t[i] === '~' && t[i + 2] === 'n') hyponyms.push(Number(t[i + 1]));
    nouns.set(Number(t[0]), { words, hyponyms });
  }
  return nouns;
}

/** Groups of sibling leaves under `root`, in depth-first order (children by offset). */
function leafGroups(nouns: Map<number, Noun>, root: number): number[][] {
  const groups: number[][] = [];
  const seen = new Set<number>();
  const stack: Array<[number, number]> = [[root, 0]];
  while (stack.length) {
    const [s, depth] = stack.pop()!;
    if (seen.has(s)) continue;
    seen.add(s);
    const kids = [...(nouns.get(s)?.hyponyms ?? [])].sort((a, b) => a - b);
    const leaves = kids.filter((k) => (nouns.get(k)?.hyponyms.length ?? 0) === 0);
    if (depth >= MIN_DEPTH && leaves.length >= MIN_GROUP) groups.push(leaves.slice(0, MAX_GROUP));
    for (let k = kids.length - 1; k >= 0; k--) stack.push([kids[k], depth + 1]);
  }
  return groups;
}

/** `count` classes from evenly spaced groups, kept in depth-first order. */
function pick(groups: number[][], count: number, taken: Set<number>): number[] {
  const out: number[] = [];
  if (count <= 0) return out;
  const want = Math.min(groups.length, Math.ceil(count / MIN_GROUP));
  for (let g = 0; g < want && out.length < count; g++) {
    for (const s of groups[Math.floor((g * groups.length) / want)]) {
      if (out.length < count && !taken.has(s)) {
        taken.add(s);
        out.push(s);
      }
    }
  }
  return out;
}

/** C WordNet classes: about 40% animals, the rest artifacts, food and plants. */
export function demoClasses(count: number, dataNoun = defaultDataNoun()): DemoClasses {
  const nouns = readNouns(dataNoun);
  const taken = new Set<number>();
  const animals = pick(leafGroups(nouns, ANIMAL), Math.round(ANIMAL_SHARE * count), taken);
  const others = pick(OTHER_ROOTS.flatMap((r) => leafGroups(nouns, r)), count - animals.length, taken);
  const all = [...animals, ...others];
  if (all.length < count) throw new UsageError(`the demo has at most ${all.length} classes, asked for ${count}`);
  const synsets = all.map((off) => ({ wnid: offsetWnid(off), name: nouns.get(off)!.words.join(', ') }));
  return { synsets, animals: animals.length };
}

/** synset.txt: one `wnid name, name` line per class. */
export function synsetText(synsets: Synset[]): string {
  return synsets.map((s) => `${s.wnid} ${s.name}\n`).join('');
}
