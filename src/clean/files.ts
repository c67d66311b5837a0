/** The file front end of `clean`: label and prediction .npy files in, kept indices out. */
import * as path from 'node:path';
import { UsageError, ValidationError } from '../errors';
import { writeFileAtomicSync } from '../io/atomic';
import { toInt32 } from '../io/convert';
import { readNpy, writeNpy } from '../io/npy';
import type { Backend } from '../native/addon';
import { openPredictions } from '../evaluate/npy-source';
import { cleanSource, type CleanResult, type ScoreKind } from './clean';

export interface CleanFilesOptions {
  labels: string;
  predictions: string;
  minProb?: number;
  scores?: ScoreKind;
  numClasses?: number;
  backend?: Backend;
  threads?: number;
}

export function cleanFiles(opts: CleanFilesOptions): CleanResult {
  const arr = readNpy(opts.labels);
  if (arr.shape.length !== 1) throw new ValidationError(`expected a 1-D array of labels, got shape (${arr.shape.join(', ')})`, opts.labels);
  const labels = toInt32(arr, opts.labels, 'labels');
  const opened = openPredictions(opts.predictions);
  try {
    return cleanSource(opened.source, labels, opts, opts.labels);
  } finally {
    opened.close();
  }
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
