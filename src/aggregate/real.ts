/**
 * ReaL-specific pieces of aggregation: (image, label) questions, expert gold
 * truth by a yes-count rule, the "original label" pseudo-rater, label sets in
 * the published real.json order, and `reproduceReal`, the exact recipe of
 * the published scores.npz (see ../shared/data/README.md):
 *
 *  1. gold truth t3 = at least 3 of 5 experts said yes; t2 = at least 2;
 *  2. crowd confusions counted on the gold answers against t3, add-one
 *     smoothing, raters without gold answers get the mean row;
 *  3. prior = the share of t3 positives (248/1135);
 *  4. a pseudo-rater for labels < 398 (animals) answering yes when the label
 *     is the image's original label, calibrated against t2;
 *  5. one scoring pass; a rated pair is in real.json when its score >= 0.8,
 *     unrated images keep their original label.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { FormatError, ValidationError } from '../errors';
import { readAnswers, withKnownWorkers, type AnswerTable } from '../io/answers';
import { checkOutputFolder, intoNewFolder } from '../io/files';
import { toInt32 } from '../io/convert';
import { readLabelSets, writeLabelSets, type LabelSets } from '../io/labels';
import { readNpy, type NdArray } from '../io/npy';
import { readNpzAsync, writeNpz } from '../io/npz';
import type { Backend } from '../native/addon';
import { parseQuestionId } from '../tasks/format';
import { now, since } from '../util/timer';
import type { PseudoRater } from './gold';
import { originalOf } from './memory';
import { modeSpec } from './problem';
import { checkSignal, pause, throwIfAborted } from '../util/abort';
import { goldScoreAsync } from '../util/kernels';
import { pythonSetOrder } from './python-set';
import { unicodeWidth } from '../util/extent';

export const REAL_THRESHOLD = 0.8;
/** ImageNet classes 0..397 are animals. */
export const ANIMAL_CLASSES: [number, number] = [0, 398];

export interface QuestionPairs {
  image: Int32Array;
  label: Int32Array;
}

/** The (image, label) pair of every question, from names like `ILSVRC2012_val_00000001.JPEG:65` or `0:65`. */
export function questionPairs(table: Pick<AnswerTable, 'tasks' | 'file'>, numClasses = Infinity): QuestionPairs {
  const n = table.tasks.length;
  const image = new Int32Array(n);
  const label = new Int32Array(n);
  table.tasks.forEach((task, q) => {
    const p = parseQuestionId(task);
    if (!p) throw new ValidationError(`question '${task}' is not an (image, label) pair (expected IMAGE:LABEL)`, table.file);
    if (p.label >= numClasses) throw new ValidationError(`question '${task}' has label ${p.label}, out of range [0, ${numClasses})`, table.file);
    image[q] = p.image;
    label[q] = p.label;
  });
  return { image, label };
}

/**
 * Verification truth from expert answers: present (1) when at least `minYes`
 * experts answered the top answer ("yes"); default a strict majority of the
 * experts who answered. Questions without expert answers are unknown (-1).
 */
export function expertTruth(experts: AnswerTable, minYes?: number): Int32Array {
  const yes = experts.alphabet.length - 1;
  const nYes = new Int32Array(experts.numQuestions);
  const n = new Int32Array(experts.numQuestions);
  experts.question.forEach((q, i) => {
    n[q]++;
    if (experts.answer[i] === yes) nYes[q]++;
  });
  return Int32Array.from(n, (c, q) => (c === 0 ? -1 : nYes[q] >= (minYes ?? Math.floor(c / 2) + 1) ? 1 : 0));
}

/** Categorical truth from expert answers: the plurality answer when it has at least `minVotes` (default a strict majority). */
export function expertPlurality(experts: AnswerTable, minVotes?: number): Int32Array {
  const A = experts.alphabet.length;
  const votes = new Int32Array(experts.numQuestions * A);
  const n = new Int32Array(experts.numQuestions);
  experts.question.forEach((q, i) => {
    votes[q * A + experts.answer[i]]++;
    n[q]++;
  });
  return Int32Array.from(n, (c, q) => {
    let best = 0;
    for (let a = 1; a < A; a++) if (votes[q * A + a] > votes[q * A + best]) best = a;
    return c > 0 && votes[q * A + best] >= (minVotes ?? Math.floor(c / 2) + 1) ? best : -1;
  });
}

/** Re-indexes truth given per `truthTasks` onto the questions of `gold` (by task name). */
export function alignTruth(gold: AnswerTable, truthTasks: string[], truth: Int32Array, truthFile: string): Int32Array {
  const at = new Map<string, number>();
  truthTasks.forEach((t, i) => at.set(t, i));
  return Int32Array.from(gold.tasks, (task) => {
    const i = at.get(task);
    if (i === undefined) throw new ValidationError(`gold question '${task}' has no truth in ${truthFile}`, gold.file);
    return truth[i];
  });
}

/**
 * The pseudo-rater "the label is the image's original label": yes (the top
 * answer) when it is, else no (answer 0); -1 (no answer) outside `classes`.
 */
export function originalLabelAnswers(pairs: QuestionPairs, original: Int32Array, numAnswers: number, classes?: [number, number], file?: string): Int32Array {
  const [lo, hi] = classes ?? [0, Infinity];
  return Int32Array.from(pairs.image, (img, q) => {
    if (img >= original.length) throw new ValidationError(`image index ${img} is beyond the ${original.length} original labels`, file);
    const l = pairs.label[q];
    if (l < lo || l >= hi) return -1;
    return original[img] === l ? numAnswers - 1 : 0;
  });
}

/**
 * Label sets in the real.json layout: an image's rated labels with score >=
 * threshold, in the published order (see python-set.ts); images without
 * rated pairs keep their original label.
 */
export function labelSets(pairs: QuestionPairs, scores: Float64Array, threshold: number, original: Int32Array, originalFile?: string): LabelSets {
  const rated = ratedByImage(pairs, original.length, originalFile);
  const sets: LabelSets = Array.from(original, (l) => [l]);
  fillSets(sets, rated, pairs.label, scores, threshold, 0, rated.images.length);
  return sets;
}

/** labelSets in slices of images, yielding to the event loop between them. */
export async function labelSetsAsync(
  pairs: QuestionPairs, scores: Float64Array, threshold: number, original: Int32Array, originalFile?: string, signal?: AbortSignal,
): Promise<LabelSets> {
  const rated = ratedByImage(pairs, original.length, originalFile);
  const sets: LabelSets = Array.from(original, (l) => [l]);
  for (let from = 0; from < rated.images.length; from += SET_SLICE) {
    await pause(signal);
    fillSets(sets, rated, pairs.label, scores, threshold, from, Math.min(rated.images.length, from + SET_SLICE));
  }
  return sets;
}

const SET_SLICE = 256;

/** Questions grouped by image (a stable counting sort: question order kept within an image). */
interface RatedIndex {
  /** Rated images, ascending. */
  images: Int32Array;
  /** Questions of image i: order[start[i]] .. order[start[i + 1] - 1]. */
  start: Int32Array;
  order: Int32Array;
}

function ratedByImage(pairs: QuestionPairs, n: number, originalFile?: string): RatedIndex {
  const count = new Int32Array(n + 1);
  const image = pairs.image;
  for (let q = 0; q < image.length; q++) {
    const img = image[q];
    if (!(img >= 0 && img < n)) throw new ValidationError(`image index ${img} is beyond the ${n} original labels`, originalFile);
    count[img + 1]++;
  }
  let rated = 0;
  for (let i = 1; i <= n; i++) {
    if (count[i] > 0) rated++;
    count[i] += count[i - 1];
  }
  const order = new Int32Array(image.length);
  const next = count.slice(0, n);
  for (let q = 0; q < image.length; q++) order[next[image[q]]++] = q;
  const images = new Int32Array(rated);
  for (let i = 0, j = 0; i < n; i++) if (count[i + 1] > count[i]) images[j++] = i;
  return { images, start: count, order };
}

function fillSets(sets: LabelSets, r: RatedIndex, label: Int32Array, scores: Float64Array, threshold: number, from: number, to: number): void {
  for (let j = from; j < to; j++) {
    const img = r.images[j];
    const labels: number[] = [];
    const best = new Map<number, number>();
    for (let at = r.start[img]; at < r.start[img + 1]; at++) {
      const q = r.order[at];
      labels.push(label[q]);
      best.set(label[q], Math.max(best.get(label[q]) ?? -Infinity, scores[q]));
    }
    sets[img] = pythonSetOrder(labels).filter((l) => best.get(l)! >= threshold);
  }
}

/** Reads ORIG.npy: the original label of every image. */
export function readOriginalLabels(file: string): Int32Array {
  const arr = readNpy(file);
  if (arr.shape.length !== 1) throw new FormatError(`original labels must be 1-D, got shape (${arr.shape.join(', ')})`, file);
  return toInt32(arr, file, 'original label');
}

// ---------------------------------------------------------------- reproduce-real

/** The release's three answer files, already read (readRatersNpz). */
export interface RealRelease {
  raters: AnswerTable;
  golden: AnswerTable;
  ratersGolden: AnswerTable;
}

export interface ReproduceRealOptions {
  /**
   * Folder with raters.npz, golden.npz and raters_golden.npz (and optionally
   * the published scores.npz, real.json, to compare), or those three read.
   */
  data: string | RealRelease;
  /** imagenet_val_original_labels.npy, or the labels. */
  original: string | ArrayLike<number>;
  /** Output folder for scores.npz and real.json (created like mkdir -p); nothing is written when absent. */
  out?: string;
  threshold?: number;
  threads?: number;
  backend?: Backend;
  /** Stops between phases and kernel calls with an AbortError; nothing is written once it has fired. */
  signal?: AbortSignal;
}

export interface Agreement {
  /** Published scores.npz: pairs compared, largest |difference|, pairs within 1e-9. */
  scores?: { pairs: number; maxAbsDiff: number; within1e9: number; sameInfo: boolean };
  /** Published real.json: lists identical (order included), and as sets. */
  labels?: { images: number; identical: number; sameSet: number };
}

export interface ReproduceRealResult {
  questions: number;
  answers: number;
  raters: number;
  goldQuestions: number;
  goldPositives: number;
  prior: number;
  images: number;
  labels: number;
  imagesWithLabels: number;
  agreement: Agreement;
  /** Posterior of every rated pair, in raters.npz's question order. */
  scores: Float64Array;
  /** The label sets (real.json layout). */
  sets: LabelSets;
  outputs: { scores: string; labels: string } | null;
  timingsMs: { read: number; fit: number; write: number; compare: number };
}

export async function reproduceReal(opts: ReproduceRealOptions): Promise<ReproduceRealResult> {
  const signal = checkSignal(opts.signal);
  const threshold = opts.threshold ?? REAL_THRESHOLD;
  // The folder is created (mkdir -p) only when the outputs are written; a file in the way fails now.
  if (opts.out !== undefined) checkOutputFolder(opts.out);
  let t0 = now();
  const originalFile = typeof opts.original === 'string' ? opts.original : 'original';
  const original = typeof opts.original === 'string' ? readOriginalLabels(opts.original) : originalOf(opts.original, originalFile);
  // Decompression runs on libuv's threads: read the three files (and the
  // published ones, for the comparison at the end) concurrently.
  const dir = typeof opts.data === 'string' ? opts.data : null;
  const published = dir ? readPublished(dir) : Promise.resolve({});
  const [main, experts, gold] = dir
    ? await Promise.all(['raters.npz', 'golden.npz', 'raters_golden.npz'].map((f) => readAnswers(path.join(dir, f))))
    : [(opts.data as RealRelease).raters, (opts.data as RealRelease).golden, (opts.data as RealRelease).ratersGolden];
  const crowdGold = withKnownWorkers(gold, main.workers);
  const read = since(t0);

  t0 = now();
  const spec = modeSpec('verification', main.alphabet);
  const yesCount = (min: number) => alignTruth(crowdGold, experts.tasks, expertTruth(experts, min), experts.file);
  const t3 = yesCount(3);
  const t2 = yesCount(2);
  const mainPairs = questionPairs(main);
  const goldPairs = questionPairs(crowdGold);
  const pseudo: PseudoRater = {
    name: 'original-label',
    main: originalLabelAnswers(mainPairs, original, spec.numAnswers, ANIMAL_CLASSES, originalFile),
    gold: originalLabelAnswers(goldPairs, original, spec.numAnswers, undefined, originalFile),
    truth: t2,
  };
  const r = await goldScoreAsync({ answers: main, gold: crowdGold, truth: t3, spec, pseudoRaters: [pseudo], smoothing: 1, threads: opts.threads, backend: opts.backend, signal });
  const scores = new Float64Array(main.numQuestions);
  for (let q = 0; q < scores.length; q++) scores[q] = r.posterior[q * 2 + 1];
  const sets = await labelSetsAsync(mainPairs, scores, threshold, original, originalFile, signal);
  const fit = since(t0);
  throwIfAborted(signal);

  t0 = now();
  const outputs = opts.out === undefined ? null : { scores: path.join(opts.out, 'scores.npz'), labels: path.join(opts.out, 'real.json') };
  if (outputs) {
    await intoNewFolder(opts.out!, () => {
      writeScores(outputs.scores, scores, main.info ?? taskNames(main.tasks));
      writeLabelSets(outputs.labels, sets);
    });
  }
  const write = since(t0);

  t0 = now();
  const agreement = compareWithPublished(await published, scores, main.info ?? taskNames(main.tasks), sets);
  const compare = since(t0);
  let positives = 0;
  for (const t of t3) positives += t === 1 ? 1 : 0;
  return {
    questions: main.numQuestions,
    answers: main.question.length,
    raters: main.numWorkers,
    goldQuestions: t3.length,
    goldPositives: positives,
    prior: r.prior[1],
    images: sets.length,
    labels: sets.reduce((s, l) => s + l.length, 0),
    imagesWithLabels: sets.filter((l) => l.length > 0).length,
    agreement,
    scores,
    sets,
    outputs,
    timingsMs: { read, fit, write, compare },
  };
}

/** Question names as an `info` array [Q, 1] (answers that did not come from an npz). */
function taskNames(tasks: string[]): NdArray {
  return { dtype: `U${unicodeWidth(tasks)}`, shape: [tasks.length, 1], data: tasks };
}

/** scores.npz in the published layout: float64 `tensor` [Q], `info` as read. */
export function writeScores(file: string, scores: Float64Array, info: NdArray): void {
  writeNpz(file, { tensor: { dtype: 'f8', shape: [scores.length], data: scores }, info }, { compress: true });
}

export interface Published {
  scores?: { tensor: Float64Array; info: string[] };
  labels?: LabelSets;
}

/** The published scores.npz / real.json, when DIR holds them. */
export async function readPublished(dir: string): Promise<Published> {
  const out: Published = {};
  const scoresFile = path.join(dir, 'scores.npz');
  if (fs.existsSync(scoresFile)) {
    const pub = await readNpzAsync(scoresFile, ['tensor', 'info']);
    if (!(pub.tensor.data instanceof Float64Array) || !Array.isArray(pub.info.data)) {
      throw new FormatError('expected a float64 tensor and a string info array', scoresFile);
    }
    out.scores = { tensor: pub.tensor.data, info: pub.info.data };
  }
  const labelsFile = path.join(dir, 'real.json');
  if (fs.existsSync(labelsFile)) out.labels = readLabelSets(labelsFile);
  return out;
}

/** Agreement of scores / label sets with the published files. */
export function compareWithPublished(pub: Published, scores: Float64Array, info: NdArray, sets: LabelSets): Agreement {
  const agreement: Agreement = {};
  if (pub.scores) {
    const t = pub.scores.tensor;
    const sameInfo = sameStrings(pub.scores.info, info.data as string[]);
    let maxAbsDiff = 0;
    let within = 0;
    if (t.length === scores.length) {
      for (let i = 0; i < t.length; i++) {
        const d = Math.abs(t[i] - scores[i]);
        maxAbsDiff = d > maxAbsDiff || Number.isNaN(d) ? d : maxAbsDiff;
        if (d <= 1e-9) within++;
      }
    } else {
      maxAbsDiff = Infinity;
    }
    agreement.scores = { pairs: t.length, maxAbsDiff, within1e9: within, sameInfo };
  }
  if (pub.labels) {
    const sorted = (l: number[]) => [...l].sort((a, b) => a - b).join(',');
    let identical = 0;
    let sameSet = 0;
    pub.labels.forEach((l, i) => {
      const mine = sets[i] ?? [];
      if (l.join(',') === mine.join(',')) identical++;
      if (sorted(l) === sorted(mine)) sameSet++;
    });
    agreement.labels = { images: pub.labels.length, identical, sameSet };
  }
  return agreement;
}

function sameStrings(a: string[], b: string[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}
