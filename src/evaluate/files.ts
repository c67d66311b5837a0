/**
 * The file front end of `evaluate` (and of `analyze`): reads the label sets,
 * the original labels and each predictions file, with every error naming
 * the file it is about, and writes the per-class table when asked.
 */
import * as path from 'node:path';
import { ValidationError } from '../errors';
import { checkOutputPath } from '../io/atomic';
import { toInt32 } from '../io/convert';
import { readLabelSets } from '../io/labels';
import { readNpy } from '../io/npy';
import { readSynsets } from '../io/synsets';
import type { Backend } from '../native/addon';
import { checkSignal, throwIfAborted } from '../util/abort';
import { writeCsv } from './csv';
import { DEFAULT_CLASSES, checkOriginal, modelResult, type EvaluateResult, type ModelResult } from './evaluate';
import { PER_CLASS_HEADER, perClassRows } from './per-class-csv';
import { indexLabelSets, type LabelIndex } from './label-index';
import { modelNames, openPredictions, type OpenedSource } from './npy-source';
import { scoreSourceAsync } from './score';

// src/cluster loads bullmq and ioredis: load it only when `cluster` is given, so
// that `require('realabel')` stays light (test/api/lazy-cluster.test.ts).
const clusterEvaluate = () => import('../cluster/evaluate');
const clusterConnection = () => import('../cluster/connection');

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
  /** synset.txt: names the classes in the per-class table (and sets numClasses when absent). */
  synsets?: string;
  /** Per-class accuracy CSV to write, one row per (model, class); nothing is written when absent. */
  perClassOut?: string;
  /** Stops between chunks with an AbortError. */
  signal?: AbortSignal;
  /** Called after each model is scored. */
  onProgress?: (done: number, total: number) => void;
  /** redis://HOST:PORT: score on realabel cluster workers (src/cluster); the same result. */
  cluster?: string;
}

export interface LoadedInputs {
  numClasses: number;
  labels: LabelIndex;
  original: Int32Array | null;
}

export async function evaluateFiles(opts: EvaluateFilesOptions): Promise<EvaluateResult> {
  const signal = checkSignal(opts.signal);
  if (opts.cluster) await (await clusterConnection()).checkClusterBackend(opts.cluster, opts.backend);
  if (opts.perClassOut) checkOutputPath(opts.perClassOut);
  const synsets = opts.synsets ? readSynsets(opts.synsets) : undefined;
  const opened = openAll(opts.predictions);
  let result: EvaluateResult;
  try {
    const { numClasses, labels, original } = loadInputs({ ...opts, numClasses: opts.numClasses ?? synsets?.length }, opened);
    if (synsets && synsets.length !== numClasses) {
      throw new ValidationError(`lists ${synsets.length} classes but the predictions have ${numClasses}`, opts.synsets);
    }
    if (opts.cluster) {
      result = await (await clusterEvaluate()).evaluateOnCluster({ ...opts, cluster: opts.cluster, opened, numClasses, n: labels.n, scratch: opts.perClassOut && path.dirname(path.resolve(opts.perClassOut)) });
    } else {
      const models: ModelResult[] = [];
      for (const [i, { source }] of opened.entries()) {
        models.push(modelResult(source, await scoreSourceAsync(source, labels, original, numClasses, { ...opts, signal })));
        opts.onProgress?.(i + 1, opened.length);
      }
      result = { numClasses, models };
    }
  } finally {
    for (const o of opened) o.close();
  }
  throwIfAborted(signal);
  if (opts.perClassOut) {
    writeCsv(opts.perClassOut, PER_CLASS_HEADER, perClassRows(result.models, result.numClasses, synsets, Boolean(opts.original)));
  }
  return result;
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
