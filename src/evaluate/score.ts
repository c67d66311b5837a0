/**
 * Scores one prediction source against the ReaL sets: streams score chunks
 * through the top-k kernel into a Scorer.
 */
import { ValidationError } from '../errors';
import type { Backend } from '../native/addon';
import type { LabelIndex } from './label-index';
import { Scorer, ranksNeeded, type ModelScore } from './scorer';
import { checkTop1, rowsPerChunk, type PredictionSource, type ScoreChunk, type ScoresSource } from './sources';
import { throwIfAborted } from '../util/abort';
import { topkRowsAsync } from '../util/kernels';
import { topkRowsSync } from './topk';

export interface ScoreOptions {
  backend?: Backend;
  threads?: number;
  /** Rows per chunk for score matrices (default: ~16 MiB per chunk). */
  chunkRows?: number;
  /** Stops between chunks with an AbortError. */
  signal?: AbortSignal;
}

type Prepared = { done: ModelScore } | { scorer: Scorer; k: number; where: string; rows: number };

function prepare(
  source: PredictionSource,
  labels: LabelIndex,
  original: Int32Array | null,
  numClasses: number,
  opts: ScoreOptions,
): Prepared {
  const where = source.file ?? source.name;
  if (source.n !== labels.n) {
    throw new ValidationError(`has ${source.n} predictions but the label file has ${labels.n} images`, where);
  }
  if (source.kind === 'top1') {
    checkTop1(source.top1, numClasses, source.file, source.name);
    const scorer = new Scorer(labels, original, numClasses, false);
    scorer.add(0, source.n, source.top1, 1);
    return { done: scorer.result() };
  }
  if (source.c !== numClasses) {
    throw new ValidationError(`has ${source.c} classes per row, expected ${numClasses}`, where);
  }
  const scorer = new Scorer(labels, original, numClasses, true);
  return { scorer, k: ranksNeeded(labels, numClasses), where, rows: opts.chunkRows ?? rowsPerChunk(numClasses, 4) };
}

function addChunk(p: Exclude<Prepared, { done: ModelScore }>, chunk: ScoreChunk, c: number, opts: ScoreOptions): void {
  const top = topkRowsSync(chunk.scores, chunk.rows, c, p.k, {
    backend: opts.backend, threads: opts.threads, file: p.where, rowOffset: chunk.start,
  });
  p.scorer.add(chunk.start, chunk.rows, top, p.k);
}

/** Scores in-memory sources. */
export function scoreSource(
  source: PredictionSource,
  labels: LabelIndex,
  original: Int32Array | null,
  numClasses: number,
  opts: ScoreOptions = {},
): ModelScore {
  const p = prepare(source, labels, original, numClasses, opts);
  if ('done' in p) return p.done;
  for (const chunk of (source as ScoresSource).chunks(p.rows)) addChunk(p, chunk, numClasses, opts);
  return p.scorer.result();
}

/**
 * Scores a source chunk by chunk, awaiting the top-k kernel on each, so the
 * event loop runs between chunks; files are read one chunk ahead while the
 * current one is ranked.
 */
export async function scoreSourceAsync(
  source: PredictionSource,
  labels: LabelIndex,
  original: Int32Array | null,
  numClasses: number,
  opts: ScoreOptions = {},
): Promise<ModelScore> {
  const p = prepare(source, labels, original, numClasses, opts);
  if ('done' in p) return p.done;
  const s = source as ScoresSource;
  throwIfAborted(opts.signal);
  for await (const chunk of s.chunksAsync ? s.chunksAsync(p.rows) : s.chunks(p.rows)) {
    const top = await topkRowsAsync(chunk.scores, chunk.rows, numClasses, p.k, {
      backend: opts.backend, threads: opts.threads, file: p.where, rowOffset: chunk.start, signal: opts.signal,
    });
    p.scorer.add(chunk.start, chunk.rows, top, p.k);
  }
  return p.scorer.result();
}
