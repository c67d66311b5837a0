/**
 * The file front end of `evaluate` (and of `analyze`): reads the label sets,
 * the original labels and each predictions file, with every error naming
 * the file it is about.
 */
import { ValidationError } from '../errors';
import { toInt32 } from '../io/convert';
import { readLabelSets } from '../io/labels';
import { readNpy } from '../io/npy';
import type { Backend } from '../native/addon';
import { DEFAULT_CLASSES, checkOriginal, type EvaluateResult, type ModelResult } from './evaluate';
import { indexLabelSets, type LabelIndex } from './label-index';
import { modelNames, openPredictions, type OpenedSource } from './npy-source';
import { scoreSourceAsync } from './score';

export interface EvaluateFilesOptions {
  /** real.json-style label sets. */
  labels: string;
  /** .npy files: int [N] top-1 predictions or float [N, C] scores. */
  predictions: string[];
  /** .npy of original labels (int [N]). */
  original?: string;
  /** Class count (default: the score matrices' width, else 1000). */
  numClasses?: number;
  backend?: Backend;
  threads?: number;
  /** Rows per read (default: ~16 MiB per chunk). */
  chunkRows?: number;
  /** Called after each model is scored (progress). */
  onModel?: (done: number, total: number) => void;
}

export interface LoadedInputs {
  numClasses: number;
  labels: LabelIndex;
  original: Int32Array | null;
}

export async function evaluateFiles(opts: EvaluateFilesOptions): Promise<EvaluateResult> {
  const opened = openAll(opts.predictions);
  try {
    const { numClasses, labels, original } = loadInputs(opts, opened);
    const models: ModelResult[] = [];
    for (const [i, { source }] of opened.entries()) {
      const score = await scoreSourceAsync(source, labels, original, numClasses, opts);
      opts.onModel?.(i + 1, opened.length);
      models.push({ name: source.name, file: source.file, kind: source.kind, ...score.metrics, counts: score.counts, perClass: score.perClass, top1: score.top1 });
    }
    return { numClasses, models };
  } finally {
    for (const o of opened) o.close();
  }
}

export function openAll(files: string[]): OpenedSource[] {
  const names = modelNames(files);
  const opened: OpenedSource[] = [];
  try {
    files.forEach((f, i) => opened.push(openPredictions(f, names[i])));
    return opened;
  } catch (err) {
    for (const o of opened) o.close();
    throw err;
  }
}

/** Class count from the score files, then labels and original labels validated against it. */
export function loadInputs(
  opts: { labels: string; original?: string; numClasses?: number },
  opened: OpenedSource[],
): LoadedInputs {
  const widths = opened.flatMap(({ source }) => (source.kind === 'scores' ? [source] : []));
  const numClasses = opts.numClasses ?? widths[0]?.c ?? DEFAULT_CLASSES;
  for (const s of widths) {
    if (s.c !== numClasses) throw new ValidationError(`has ${s.c} classes per row, expected ${numClasses}`, s.file);
  }
  const labels = indexLabelSets(readLabelSets(opts.labels, { numClasses }), numClasses, opts.labels);
  for (const { source } of opened) {
    if (source.n !== labels.n) {
      throw new ValidationError(`has ${source.n} predictions but ${opts.labels} has ${labels.n} images`, source.file);
    }
  }
  const original = opts.original ? readOriginal(opts.original, labels.n, numClasses) : null;
  return { numClasses, labels, original };
}

export function readOriginal(file: string, n: number, numClasses: number): Int32Array {
  const arr = readNpy(file);
  if (arr.shape.length !== 1) throw new ValidationError(`expected a 1-D array of labels, got shape (${arr.shape.join(', ')})`, file);
  return checkOriginal(toInt32(arr, file, 'original labels'), n, numClasses, file);
}
