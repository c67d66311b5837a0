/**
 * Worker side of `evaluate --cluster`: one model's rows [r0, r1) scored
 * against their label sets. Returns the integer hit counts and per-class
 * counts (summed by the coordinator; integer sums do not depend on order)
 * and writes the rows' top-1 classes to a scratch file.
 */
import * as fs from 'node:fs';
import { writeFileAtomicSync } from '../io/atomic';
import { NpyReader, decodeElements } from '../io/npy';
import { hasNative, type Backend } from '../native/addon';
import { loadInputs, openAll } from '../evaluate/files';
import type { LabelIndex } from '../evaluate/label-index';
import { scoreSourceAsync } from '../evaluate/score';
import type { ScoreArray } from '../evaluate/topk';
import type { MetricCounts, PerClassCounts } from '../evaluate/scorer';
import type { PredictionSource, ScoreChunk } from '../evaluate/sources';
import { i32ToB64 } from './jobs';

export interface EvalShard {
  labels: string;
  original?: string;
  predictions: string;
  numClasses: number;
  r0: number;
  r1: number;
  backend?: Backend;
  threads?: number;
  top1Out: string;
}

export interface EvalShardResult {
  counts: MetricCounts;
  scored: number;
  perClass: Record<keyof PerClassCounts, string | null>;
}

const inputs = new Map<string, ReturnType<typeof loadInputs>>();

/** Labels and original labels, read once per process. */
function cachedInputs(s: EvalShard) {
  const key = JSON.stringify([s.labels, fs.statSync(s.labels).mtimeMs, s.original, s.numClasses]);
  let v = inputs.get(key);
  if (!v) {
    v = loadInputs({ labels: s.labels, original: s.original, numClasses: s.numClasses }, []);
    inputs.set(key, v);
    while (inputs.size > 2) inputs.delete(inputs.keys().next().value!);
  }
  return v;
}

function subIndex(ix: LabelIndex, r0: number, r1: number): LabelIndex {
  const base = ix.offsets[r0];
  return { n: r1 - r0, offsets: ix.offsets.slice(r0, r1 + 1).map((o) => o - base), labels: ix.labels.subarray(base, ix.offsets[r1]), maxSize: ix.maxSize };
}

export async function evalShard(s: EvalShard): Promise<EvalShardResult> {
  const { labels, original } = cachedInputs(s);
  const [opened] = openAll([s.predictions]);
  try {
    const src = opened.source;
    const n = s.r1 - s.r0;
    let shard: PredictionSource;
    if (src.kind === 'top1') {
      shard = { ...src, n, top1: src.top1.subarray(s.r0, s.r1) };
    } else {
      const reader = NpyReader.open(s.predictions);
      opened.close();
      opened.close = () => reader.close();
      shard = { kind: 'scores', name: src.name, file: src.file, n, c: src.c, chunks: (rows) => rangeChunks(reader, s.r0, s.r1, rows) };
    }
    const backend: Backend = s.backend === 'ts' || !hasNative() ? 'ts' : 'native';
    const score = await scoreSourceAsync(shard, subIndex(labels, s.r0, s.r1), original ? original.subarray(s.r0, s.r1) : null, s.numClasses, { backend, threads: s.threads });
    const t = score.top1;
    writeFileAtomicSync(s.top1Out, new Uint8Array(t.buffer, t.byteOffset, t.byteLength));
    const pc = score.perClass;
    const enc = (x: Int32Array | null) => (x ? i32ToB64(x) : null);
    return {
      counts: score.counts,
      scored: score.metrics.nScored,
      perClass: { originalN: enc(pc.originalN), originalTop1: enc(pc.originalTop1), originalTop5: enc(pc.originalTop5), realN: enc(pc.realN), realTop1: enc(pc.realTop1), realTop5: enc(pc.realTop5) },
    };
  } finally {
    opened.close();
  }
}

/** Rows [r0, r1) of a C-ordered float matrix in chunks, renumbered from 0. */
function* rangeChunks(reader: NpyReader, r0: number, r1: number, rowsPerChunk: number): Iterable<ScoreChunk> {
  const { header } = reader;
  const c = reader.shape[1];
  const rowBytes = c * header.dtype.itemsize;
  const buf = new Uint8Array(Math.max(1, Math.min(r1 - r0, rowsPerChunk)) * rowBytes);
  for (let start = r0; start < r1; start += rowsPerChunk) {
    const rows = Math.min(rowsPerChunk, r1 - start);
    const bytes = buf.subarray(0, rows * rowBytes);
    reader.readRowBytesInto(start, rows, bytes);
    yield { start: start - r0, rows, scores: decodeElements(header.dtype, bytes, rows * c, true) as ScoreArray };
  }
}
