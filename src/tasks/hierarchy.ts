/**
 * The WordNet hierarchy of a class list (e.g. the 1,000 ImageNet classes).
 *
 * WordNet nouns form a DAG (a dog is both a canine and a domestic animal).
 * The task split needs a tree, so each class gets one canonical path: its
 * longest hypernym path to the root (the most specific chain of categories),
 * ties going to the path whose offsets, compared root first, are smaller.
 * A prefix of a canonical path is the canonical path of the synset it ends
 * at (a longer or smaller prefix would make a longer or smaller whole path),
 * so the canonical paths of any classes form one tree.
 * The full ancestor set over all paths is kept too, to measure how well the
 * split keeps WordNet categories together.
 */
import { FormatError } from '../errors';
import { WordNetNouns, wnidOffset } from './wordnet';

export interface ClassHierarchy {
  /** Per class: canonical root-first path of synset offsets, ending at the class's own synset. */
  paths: number[][];
  /** Per class: every WordNet ancestor over all hypernym paths, itself included, ascending. */
  ancestors: number[][];
}

export interface HierarchyOptions {
  /** WordNet 3.0 data.noun (default: the one in `wordnet@2.0.0`). */
  dataNoun?: string;
  /** File the wnids came from, for error messages. */
  file?: string;
}

/** Builds the hierarchy of classes given by their wnids (`nXXXXXXXX`), in class-index order. */
export function classHierarchy(wnids: readonly string[], opts: HierarchyOptions = {}): ClassHierarchy {
  const offsets = wnids.map((w) => wnidOffset(w, opts.file));
  const wn = WordNetNouns.open(opts.dataNoun);
  try {
    const paths: number[][] = [];
    const ancestors: number[][] = [];
    for (const [i, off] of offsets.entries()) {
      const all = pathsOf(wn, off, i, wnids[i], opts.file);
      paths.push(canonicalPath(all));
      ancestors.push([...new Set(all.flat())].sort((a, b) => a - b));
    }
    return { paths, ancestors };
  } finally {
    wn.close();
  }
}

/** A bad wnid shows up as a line mismatch in data.noun: name the class file too. */
function pathsOf(wn: WordNetNouns, offset: number, index: number, wnid: string, file?: string): number[][] {
  try {
    return wn.hypernymPaths(offset);
  } catch (err) {
    if (!(err instanceof FormatError) || !file) throw err;
    throw new FormatError(`class ${index} (${wnid}) is not a WordNet 3.0 noun synset: ${err.message}`, file);
  }
}

/** The longest path; among equally long ones, the smallest offsets compared root first. */
export function canonicalPath(paths: readonly number[][]): number[] {
  let best = paths[0];
  for (const p of paths.slice(1)) {
    if (p.length > best.length || (p.length === best.length && lexLess(p, best))) best = p;
  }
  return best;
}

function lexLess(a: readonly number[], b: readonly number[]): boolean {
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return a[i] < b[i];
  return false;
}
