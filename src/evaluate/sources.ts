/**
 * Where a model's predictions come from: top-1 class indices, or a score
 * matrix (logits or probabilities) read in row chunks so that a 50,000 x
 * 1,000 float matrix never needs a second copy.
 */
import { ValidationError } from '../errors';
import type { ScoreArray } from './topk';

export interface ScoreChunk {
  /** First row of the chunk. */
  start: number;
  rows: number;
  /** Row-major [rows, c]. */
  scores: ScoreArray;
}

export interface Top1Source {
  kind: 'top1';
  name: string;
  file?: string;
  n: number;
  top1: Int32Array;
}

export interface ScoresSource {
  kind: 'scores';
  name: string;
  file?: string;
  n: number;
  c: number;
  chunks(rowsPerChunk: number): Iterable<ScoreChunk>;
  /**
   * Files also offer chunks read ahead: the next chunk is read (libuv thread
   * pool) while the caller ranks the current one, so disk and CPU overlap.
   */
  chunksAsync?(rowsPerChunk: number): AsyncIterable<ScoreChunk>;
}

export type PredictionSource = Top1Source | ScoresSource;

/** In-memory predictions: top-1 classes, or a row-major score matrix with its class count. */
export type PredictionInput = ArrayLike<number> | { scores: ScoreArray; numClasses: number };

export function isScoreInput(p: PredictionInput): p is { scores: ScoreArray; numClasses: number } {
  return typeof (p as { scores?: unknown }).scores === 'object' && (p as { scores?: unknown }).scores !== null;
}

/** Wraps an in-memory input as a source (no copy for score matrices). */
export function sourceFromInput(input: PredictionInput, name: string): PredictionSource {
  if (isScoreInput(input)) {
    const { scores, numClasses: c } = input;
    if (!(scores instanceof Float32Array || scores instanceof Float64Array)) {
      throw new ValidationError(`${name}: scores must be a Float32Array or Float64Array`);
    }
    if (!Number.isInteger(c) || c < 1 || scores.length % c !== 0) {
      throw new ValidationError(`${name}: ${scores.length} scores do not form rows of ${c} classes`);
    }
    const n = scores.length / c;
    return { kind: 'scores', name, n, c, chunks: (rows) => sliceChunks(scores, n, c, rows) };
  }
  return { kind: 'top1', name, n: input.length, top1: Int32Array.from(input as ArrayLike<number>) };
}

function* sliceChunks(scores: ScoreArray, n: number, c: number, rowsPerChunk: number): Iterable<ScoreChunk> {
  for (let start = 0; start < n; start += rowsPerChunk) {
    const rows = Math.min(rowsPerChunk, n - start);
    yield { start, rows, scores: scores.subarray(start * c, (start + rows) * c) };
  }
}

/** Rows per chunk so that a chunk holds about 16 MiB of scores. */
export function rowsPerChunk(c: number, bytesPerValue: number): number {
  return Math.max(1, Math.floor((16 << 20) / (c * bytesPerValue)));
}

/** Top-1 predictions must be class indices in [0, c). */
export function checkTop1(top1: ArrayLike<number>, c: number, where: string | undefined, name: string): void {
  for (let i = 0; i < top1.length; i++) {
    const p = top1[i];
    if (!Number.isInteger(p) || p < 0 || p >= c) {
      throw new ValidationError(`prediction ${p} at image ${i} is not a class index in [0, ${c})`, where ?? name);
    }
  }
}
