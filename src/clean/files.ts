/** The file front end of `clean`: label and prediction .npy files in, kept indices out. */
import * as path from 'node:path';
import { UsageError, ValidationError } from '../errors';
import { writeFileAtomicSync } from '../io/atomic';
import { toInt32 } from '../io/convert';
import { readNpy, writeNpy } from '../io/npy';
import type { Backend } from '../native/addon';
import { openPredictions } from '../evaluate/npy-source';
import { displayNames } from '../analyze/names';
import { readSynsets } from '../io/synsets';
import { checkSignal, throwIfAborted } from '../util/abort';
import { cleanSource, type CleanResult, type ScoreKind } from './clean';

export interface CleanFilesOptions {
  labels: string;
  predictions: string;
  minProb?: number;
  scores?: ScoreKind;
  /** Number of classes (default: the synsets, the score width, else the largest index + 1). */
  numClasses?: number;
  /** synset.txt: names the classes (`classNames` in the result). */
  synsets?: string;
  /** Kept image indices to write: .txt (one per line) or .npy (int64); nothing is written when absent. */
  out?: string;
  backend?: Backend;
  threads?: number;
  /** Stops before the write with an AbortError (nothing written). */
  signal?: AbortSignal;
}

export interface CleanFilesResult extends CleanResult {
  out?: string;
  /** Display names of the classes, when `synsets` was given. */
  classNames?: string[];
}

export async function cleanFiles(opts: CleanFilesOptions): Promise<CleanFilesResult> {
  const signal = checkSignal(opts.signal);
  if (opts.out) keepFormat(opts.out);
  const classNames = opts.synsets ? displayNames(readSynsets(opts.synsets)) : undefined;
  const arr = readNpy(opts.labels);
  if (arr.shape.length !== 1) throw new ValidationError(`expected a 1-D array of labels, got shape (${arr.shape.join(', ')})`, opts.labels);
  const labels = toInt32(arr, opts.labels, 'labels');
  const opened = openPredictions(opts.predictions);
  let result: CleanResult;
  try {
    throwIfAborted(signal);
    result = cleanSource(opened.source, labels, { ...opts, numClasses: opts.numClasses ?? classNames?.length }, opts.labels);
  } finally {
    opened.close();
  }
  throwIfAborted(signal);
  if (opts.out) writeKeep(opts.out, result.keep);
  return { ...result, out: opts.out, classNames };
}

/** The output format, from the file name: .txt (one index per line) or .npy (int64). */
export function keepFormat(file: string): 'txt' | 'npy' {
  const ext = path.extname(file).toLowerCase();
  if (ext === '.txt') return 'txt';
  if (ext === '.npy') return 'npy';
  throw new UsageError(`\`out\` must end in .txt or .npy, got '${file}'`);
}

export function writeKeep(file: string, keep: Int32Array): void {
  if (keepFormat(file) === 'npy') {
    writeNpy(file, { dtype: 'i8', shape: [keep.length], data: BigInt64Array.from(keep, (x) => BigInt(x)) });
  } else {
    writeFileAtomicSync(file, keep.length ? `${keep.join('\n')}\n` : '');
  }
}
