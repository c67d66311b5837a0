/**
 * Rating tasks from label proposals: the (image, label) pairs that humans
 * should verify, grouped into tasks of at most `maxLabels` labels per image
 * along the WordNet hierarchy (split.ts).
 *
 * Images where every model's top-1 equals the original label are not rated
 * (they keep their original label), as in the paper; that needs `top1` and
 * `original`, and without them every image is rated.
 */
import { UsageError, ValidationError } from '../errors';
import { now, since } from '../util/timer';
import { categoryCount } from './coherence';
import { classHierarchy, type ClassHierarchy } from './hierarchy';
import { minTasks, splitLabels } from './split';

/** A class of the label space: its WordNet id and its names (synset.txt). */
export interface ClassInfo {
  wnid: string;
  name: string;
}

/** Shared between tasks (one frozen object per class). */
export interface TaskLabel {
  readonly label: number;
  readonly wnid: string;
  readonly name: string;
}

export interface Task {
  /** `<image>-<k>`: the image's k-th task. */
  task: string;
  image: number;
  labels: TaskLabel[];
}

export interface TasksInput {
  /** Pair images, int32 [P]. */
  image: Int32Array;
  /** Pair labels, int32 [P]. */
  label: Int32Array;
  /** Each model's top-1 label per image, row-major [models, n]. */
  top1?: { data: Int32Array; models: number; n: number };
  /** The original label per image [n]. */
  original?: Int32Array;
}

export interface TasksOptions {
  /** The classes, in label-index order (synset.txt). */
  classes: readonly ClassInfo[];
  /** At most this many labels per task (default 8). */
  maxLabels?: number;
  /** WordNet hierarchy of `classes` (built from their wnids when absent). */
  hierarchy?: ClassHierarchy;
  /** WordNet 3.0 data.noun (default: `wordnet@2.0.0`'s). */
  dataNoun?: string;
  /** Input file name for error messages. */
  file?: string;
  /** Class file name for error messages. */
  classesFile?: string;
}

export interface TasksSummary {
  /** Images with at least one proposed pair. */
  images: number;
  ratedImages: number;
  /** Images whose models all agree with the original label: not rated, they keep it. */
  unratedImages: number;
  /** Whether top1 and original were given, so that agreeing images could be left out. */
  agreementRule: boolean;
  ratedPairs: number;
  tasks: number;
  /** sum over rated images of ceil(|S| / maxLabels): no split can make fewer tasks. */
  tasksLowerBound: number;
  tasksPerImage: { mean: number; max: number };
  maxLabels: number;
  /** Rated images with more than maxLabels labels (the ones split). */
  imagesOverMaxLabels: number;
  /** WordNet categories (over all hypernym paths) with 2..maxLabels of an image's labels, on split images. */
  categories: { fitting: number; kept: number; keptRate: number };
  timingsMs: Record<string, number>;
}

export interface TasksResult {
  tasks: Task[];
  summary: TasksSummary;
}

/** Groups the proposals' rated images into rating tasks. */
export function tasks(input: TasksInput, opts: TasksOptions): TasksResult {
  const t0 = now();
  const maxLabels = opts.maxLabels ?? 8;
  if (!Number.isSafeInteger(maxLabels) || maxLabels < 1) throw new UsageError(`\`maxLabels\` must be an integer >= 1, got ${maxLabels}`, 'maxLabels');
  const skip = agreeingImages(input, opts.file);
  const groups = groupByImage(input, opts);

  let t = now();
  const hierarchy = opts.hierarchy ?? classHierarchy(opts.classes.map((c) => c.wnid), { dataNoun: opts.dataNoun, file: opts.classesFile });
  const timings: Record<string, number> = { hierarchy: since(t) };

  t = now();
  const labelInfo = opts.classes.map((c, label): TaskLabel => Object.freeze({ label, wnid: c.wnid, name: c.name }));
  const out: Task[] = [];
  const splits: Array<{ labels: number[]; parts: number[][] }> = [];
  let unrated = 0;
  let ratedPairs = 0;
  let lowerBound = 0;
  let maxPerImage = 0;
  for (const [image, labels] of groups) {
    if (skip?.[image]) {
      unrated++;
      continue;
    }
    const parts = splitLabels(labels, hierarchy.paths, maxLabels, opts.file);
    parts.forEach((p, k) => out.push({ task: `${image}-${k}`, image, labels: p.map((l) => labelInfo[l]) }));
    if (labels.length > maxLabels) splits.push({ labels, parts });
    ratedPairs += labels.length;
    lowerBound += minTasks(labels.length, maxLabels);
    maxPerImage = Math.max(maxPerImage, parts.length);
  }
  timings.split = since(t);

  t = now();
  const cats = { fitting: 0, kept: 0 };
  for (const s of splits) {
    const c = categoryCount(s.labels, s.parts, hierarchy.ancestors, maxLabels);
    cats.fitting += c.fitting;
    cats.kept += c.kept;
  }
  timings.coherence = since(t);
  timings.total = since(t0);

  const rated = groups.size - unrated;
  return {
    tasks: out,
    summary: {
      images: groups.size,
      ratedImages: rated,
      unratedImages: unrated,
      agreementRule: skip !== null,
      ratedPairs: ratedPairs,
      tasks: out.length,
      tasksLowerBound: lowerBound,
      tasksPerImage: { mean: rated ? out.length / rated : 0, max: maxPerImage },
      maxLabels: maxLabels,
      imagesOverMaxLabels: splits.length,
      categories: { ...cats, keptRate: cats.fitting ? cats.kept / cats.fitting : 1 },
      timingsMs: timings,
    },
  };
}

/** Image -> its labels, images ascending; checks ranges and duplicate pairs. */
function groupByImage(input: TasksInput, opts: TasksOptions): Map<number, number[]> {
  const { image, label } = input;
  if (image.length !== label.length) {
    throw new ValidationError(`'image' has ${image.length} entries but 'label' has ${label.length}`, opts.file);
  }
  const numClasses = opts.classes.length;
  const numImages = input.original?.length ?? input.top1?.n;
  let maxImage = 0;
  for (let i = 0; i < image.length; i++) {
    const [im, l] = [image[i], label[i]];
    if (im < 0 || (numImages !== undefined && im >= numImages)) {
      throw new ValidationError(`pair ${i}: image ${im} is outside [0, ${numImages ?? 'inf'})`, opts.file);
    }
    if (l < 0 || l >= numClasses) {
      const where = opts.classesFile ? ` listed in ${opts.classesFile}` : '';
      throw new ValidationError(`pair ${i}: label ${l} is outside the ${numClasses} classes${where}`, opts.file);
    }
    if (im > maxImage) maxImage = im;
  }
  const groups = new Map<number, number[]>();
  let prevIm = -1;
  let prevL = -1;
  for (const [im, l] of sortedPairs(image, label, maxImage, numClasses)) {
    if (im === prevIm && l === prevL) throw new ValidationError(`pair (image ${im}, label ${l}) appears twice`, opts.file);
    let g = groups.get(im);
    if (!g) groups.set(im, (g = []));
    g.push(l);
    [prevIm, prevL] = [im, l];
  }
  return groups;
}

/** The pairs sorted by (image, label): one typed-array sort of image * C + label when that is exact. */
function* sortedPairs(image: Int32Array, label: Int32Array, maxImage: number, numClasses: number): Generator<[number, number]> {
  if ((maxImage + 1) * numClasses <= Number.MAX_SAFE_INTEGER) {
    const keys = new Float64Array(image.length);
    for (let i = 0; i < keys.length; i++) keys[i] = image[i] * numClasses + label[i];
    keys.sort();
    for (const k of keys) yield [Math.floor(k / numClasses), k % numClasses];
  } else {
    const order = Array.from(image.keys()).sort((a, b) => image[a] - image[b] || label[a] - label[b]);
    for (const i of order) yield [image[i], label[i]];
  }
}

/** Per image: whether every model's top-1 equals the original label (null without both arrays). */
function agreeingImages(input: TasksInput, file?: string): Uint8Array | null {
  const { top1, original } = input;
  if (!top1 || !original || top1.models === 0) return null;
  if (top1.data.length !== top1.models * top1.n) {
    throw new ValidationError(`'top1' holds ${top1.data.length} values, not ${top1.models} x ${top1.n}`, file);
  }
  if (top1.n !== original.length) {
    throw new ValidationError(`'top1' is [${top1.models}, ${top1.n}] but 'original' has ${original.length} images`, file);
  }
  const agree = new Uint8Array(top1.n).fill(1);
  for (let m = 0; m < top1.models; m++) {
    const row = top1.data.subarray(m * top1.n, (m + 1) * top1.n);
    for (let i = 0; i < top1.n; i++) if (row[i] !== original[i]) agree[i] = 0;
  }
  return agree;
}
