/**
 * Inputs of the rating app: the tasks JSONL that `realabel tasks` writes,
 * the image of each task (an image list or ImageNet validation names), the
 * label descriptions (synset.txt plus WordNet 3.0 synonyms and glosses) and
 * the expert gold truth (any form `aggregate --gold-truth` accepts).
 */
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { FormatError, ValidationError } from '../errors';
import { DEFAULT_ALPHABET } from '../aggregate/problem';
import { readGoldTruth } from '../aggregate/truth';
import { readText } from '../io/files';
import { imageFileName } from '../io/imagenet-files';
import { readSynsets } from '../io/synsets';
import { parseQuestionId } from '../tasks/format';
import { WordNetNouns, wnidOffset } from '../tasks/wordnet';

export interface ServeTask {
  name: string;
  image: number;
  labels: number[];
}

export interface LabelInfo {
  label: number;
  wnid: string;
  name: string;
  synonyms: string[];
  gloss: string;
}

/** Reads a tasks JSONL file; returns the tasks and a hash of the file (the import's identity). */
export function readTasksFile(file: string): { tasks: ServeTask[]; hash: string } {
  const text = readText(file);
  const tasks: ServeTask[] = [];
  const seen = new Map<string, number>();
  const pairs = new Set<string>();
  text.split(/\r?\n/).forEach((line, i) => {
    if (line.trim() === '') return;
    const at = `line ${i + 1}`;
    let obj: { task?: unknown; image?: unknown; labels?: unknown };
    try {
      obj = JSON.parse(line);
    } catch (err) {
      throw new FormatError(`${at}: not valid JSON (${(err as Error).message})`, file);
    }
    if (obj === null || typeof obj !== 'object' || Array.isArray(obj)) throw new FormatError(`${at}: expected a JSON object`, file);
    const name = obj.task;
    if (typeof name !== 'string' || name === '' || name.length > 200) throw new FormatError(`${at}: 'task' must be a non-empty string`, file);
    if (!Number.isInteger(obj.image) || (obj.image as number) < 0 || (obj.image as number) > 2 ** 31 - 1) {
      throw new FormatError(`${at}: 'image' must be an integer >= 0`, file);
    }
    if (!Array.isArray(obj.labels) || obj.labels.length === 0 || obj.labels.length > 64) {
      throw new FormatError(`${at}: 'labels' must be a list of 1 to 64 labels`, file);
    }
    const labels = obj.labels.map((l: unknown) => {
      const v = typeof l === 'object' && l !== null ? (l as { label?: unknown }).label : l;
      if (!Number.isInteger(v) || (v as number) < 0) throw new FormatError(`${at}: every label needs an integer 'label' >= 0`, file);
      return v as number;
    });
    const prev = seen.get(name);
    if (prev !== undefined) throw new ValidationError(`${at}: task '${name}' appears twice (first on line ${prev})`, file);
    seen.set(name, i + 1);
    const image = obj.image as number;
    for (const l of labels) {
      const q = `${image}:${l}`;
      // A question id names one (image, label) pair: it must be in one task only.
      if (pairs.has(q)) throw new ValidationError(`${at}: question ${q} is in two tasks`, file);
      pairs.add(q);
    }
    tasks.push({ name, image, labels });
  });
  if (tasks.length === 0) throw new ValidationError('has no tasks', file);
  return { tasks, hash: createHash('sha256').update(text).digest('hex') };
}

/**
 * The file of every image: line i of `imageList` (relative to `imagesDir`),
 * else the ImageNet validation name of image i. Only names that stay inside
 * `imagesDir` are accepted, so no request can reach outside it.
 */
export function imageResolver(imagesDir: string, imageList?: string): (image: number) => string | undefined {
  if (!fs.existsSync(imagesDir) || !fs.statSync(imagesDir).isDirectory()) throw new ValidationError('the image folder does not exist', imagesDir);
  const root = fs.realpathSync(imagesDir);
  let names: string[] | null = null;
  if (imageList) {
    names = readText(imageList).split(/\r?\n/);
    if (names.length && names[names.length - 1] === '') names.pop();
  }
  return (image) => {
    const name = names ? names[image]?.trim() : imageFileName(image);
    if (!name) return undefined;
    const full = path.resolve(root, name);
    return full.startsWith(root + path.sep) ? full : undefined;
  };
}

/** Images of the tasks that are missing on disk (or outside the folder), in task order. */
export function missingImages(tasks: ServeTask[], resolve: (image: number) => string | undefined): number[] {
  const missing: number[] = [];
  const checked = new Map<number, boolean>();
  for (const t of tasks) {
    let ok = checked.get(t.image);
    if (ok === undefined) {
      const f = resolve(t.image);
      ok = f !== undefined && fs.existsSync(f) && fs.statSync(f).isFile();
      checked.set(t.image, ok);
      if (!ok) missing.push(t.image);
    }
  }
  return missing;
}

/** Name, synonyms and gloss of every class in synset.txt order (WordNet 3.0 from wordnet@2.0.0). */
export function labelInfos(synsetsFile: string, dataNoun?: string): LabelInfo[] {
  const synsets = readSynsets(synsetsFile);
  const wn = WordNetNouns.open(dataNoun);
  try {
    return synsets.map((s, label) => {
      const names = s.name.split(',').map((x) => x.trim()).filter(Boolean);
      let words: string[] = [];
      let gloss = '';
      try {
        const syn = wn.synset(wnidOffset(s.wnid, synsetsFile));
        words = syn.words;
        gloss = syn.gloss;
      } catch (err) {
        throw new ValidationError(`class ${label} (${s.wnid}): ${(err as Error).message}`, synsetsFile);
      }
      const synonyms = [...new Set([...names.slice(1), ...words])].filter((w) => w !== names[0]);
      return { label, wnid: s.wnid, name: names[0] ?? s.wnid, synonyms, gloss };
    });
  } finally {
    wn.close();
  }
}

export interface GoldQuestion {
  image: number;
  label: number;
  /** The question id as the gold file names it (what the gold export must use). */
  name: string;
  /** 1 present, 0 absent. */
  truth: number;
}

/** Expert truth per question (`IMAGE:LABEL` or `FILE:LABEL` ids), verification mode. */
export async function readGoldQuestions(file: string): Promise<GoldQuestion[]> {
  const gold = await readGoldTruth(file, { mode: 'verification', alphabet: DEFAULT_ALPHABET });
  const out: GoldQuestion[] = [];
  gold.tasks.forEach((name, i) => {
    if (gold.truth[i] < 0) return; // no expert decided it
    const pair = parseQuestionId(name);
    if (!pair) throw new ValidationError(`gold question '${name}' is not an IMAGE:LABEL id`, file);
    out.push({ ...pair, name, truth: gold.truth[i] });
  });
  if (out.length === 0) throw new ValidationError('has no gold question with a decided truth', file);
  return out;
}
