/**
 * Scores one prediction source against the ReaL sets: streams score chunks
 * through the top-k kernel into a Scorer.
 */
import { ValidationError } from '../errors';
import type { Backend } from '../native/addon';
import type { LabelIndex } from './label-index';
import { Scorer, ranksNeeded, type ModelScore } from './scorer';
import { checkTop1, rowsPerChunk, type PredictionSource } from './sources';
import { topkRows } from './topk';

export interface ScoreOptions {
  backend?: Backend;
  threads?: number;
  /** Rows per chunk for score matrices (default: ~16 MiB per chunk). */
  chunkRows?: number;
}

export function scoreSource(
  source: PredictionSource,
  labels: LabelIndex,
  original: Int32Array | null,
  numClasses: number,
  opts: ScoreOptions = {},
): ModelScore {
  const where = source.file ?? source.name;
  if (source.n !== labels.n) {
    throw new ValidationError(`has ${source.n} predictions but the label file has ${labels.n} images`, where);
  }
  if (source.kind === 'top1') {
    checkTop1(source.top1, numClasses, source.file, source.name);
    const scorer = new Scorer(labels, original, numClasses, false);
    scorer.add(0, source.n, source.top1, 1);
    return scorer.result();
  }
  if (source.c !== numClasses) {
    throw new ValidationError(`has ${source.c} classes per row, expected ${numClasses}`, where);
  }
  const k = ranksNeeded(labels, numClasses);
  const scorer = new Scorer(labels, original, numClasses, true);
  const rows = opts.chunkRows ?? rowsPerChunk(numClasses, 4);
  for (const chunk of source.chunks(rows)) {
    const top = topkRows(chunk.scores, chunk.rows, numClasses, k, {
      backend: opts.backend, threads: opts.threads, file: where, rowOffset: chunk.start,
    });
    scorer.add(chunk.start, chunk.rows, top, k);
  }
  return scorer.result();
}
