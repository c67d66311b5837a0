/**
 * `propose`: which (image, label) pairs humans should rate. For each model,
 * its global top-K pairs by logit and by probability are two sources of
 * votes; pairs with at least `minVotes` votes are kept, plus every model's
 * top-1 and the original label of each image (see src/pool/pool.ts).
 *
 * `propose` takes in-memory matrices (a Node service); `proposeFiles` streams
 * .npy files through Piscina workers, so at most `workers` models are being
 * read at once, one row chunk each.
 */
import * as path from 'node:path';
import { FormatError, RealabelError, UnsupportedError, UsageError, ValidationError } from '../errors';
import { checkLabelRange, toInt32 } from '../io/convert';
import { NpyReader, readNpy } from '../io/npy';
import type { Backend } from '../native/addon';
import { poolPairsSync, type PairSource } from '../pool/pool';
import { createPool, resolveWorkers, workerFailed } from '../util/workers';
import { now, since } from '../util/timer';
import { scanMatrix, type ModelScan } from './scan';
import type { ScanResult, ScanTask } from './worker';

export interface Proposals {
  n: number;
  c: number;
  k: number;
  minVotes: number;
  modelNames: string[];
  /** Sorted by (image, label). */
  image: Int32Array;
  label: Int32Array;
  votes: Int32Array;
  /** Words per pair in `models` / `modelsBoth`: ceil(M / 32). */
  words: number;
  /** Bit m (word m >> 5 of the pair): model m proposed the pair (by logit, probability or both). */
  models: Uint32Array;
  /** Bit m: both of model m's sources proposed it. votes = popcount(models) + popcount(modelsBoth). */
  modelsBoth: Uint32Array;
  /** Model m's top-1 of image i at m * n + i. */
  top1: Int32Array;
  original: Int32Array;
}

export interface ProposeOptions {
  /** Pairs per model and criterion; default 3 * N (capped at N * C). */
  k?: number;
  minVotes?: number;
  threads?: number;
  backend?: Backend;
}

export interface ProposeInput extends ProposeOptions {
  /** One row-major [N, C] matrix per model. */
  logits: Array<Float32Array | Float64Array>;
  n: number;
  c: number;
  original: Int32Array;
  modelNames?: string[];
}

export interface ProposeFilesInput extends ProposeOptions {
  logits: string[];
  original: string;
  workers?: number;
  /** Bytes of logits per row chunk a worker reads (default 16 MiB). */
  chunkBytes?: number;
  /** Called after each model is scanned. */
  onModel?: (done: number, total: number) => void;
}

export interface ProposeTimings {
  scan: number;
  pool: number;
  total: number;
}

/** K per model and criterion; `file`: the logits whose shape bounds it (named in the error). */
const MAX_DIM = 2 ** 31 - 1;

function resolveK(k: number | undefined, n: number, c: number, file?: string): number {
  const value = k ?? Math.min(3 * n, n * c);
  if (!Number.isInteger(value) || value < 1 || value > n * c) {
    const msg = `--k must be an integer in [1, N * C = ${n * c}], got ${value}`;
    throw file ? new ValidationError(`${msg} (logits of shape (${n}, ${c}))`, file) : new UsageError(msg);
  }
  return value;
}

function resolveMinVotes(v: number | undefined): number {
  const value = v ?? 2;
  if (!Number.isInteger(value) || value < 1) throw new UsageError(`--min-votes must be an integer >= 1, got ${value}`);
  return value;
}

/** Pools the scans of all models into proposals. */
export function poolScans(
  scans: ModelScan[], n: number, c: number, original: Int32Array, opts: { k: number; minVotes: number; names: string[]; backend?: Backend },
): Proposals {
  const M = scans.length;
  const sources: PairSource[] = [];
  scans.forEach((s, m) => {
    sources.push({ image: s.byLogit.image, label: s.byLogit.label, model: m });
    sources.push({ image: s.byProb.image, label: s.byProb.label, model: m });
  });
  const forced = [...scans.map((s) => s.top1), original];
  const pooled = poolPairsSync({ n, c, models: M, sources, forced, minVotes: opts.minVotes }, { backend: opts.backend });
  const top1 = new Int32Array(M * n);
  scans.forEach((s, m) => top1.set(s.top1, m * n));
  return {
    n, c, k: opts.k, minVotes: opts.minVotes, modelNames: opts.names,
    image: pooled.image, label: pooled.label, votes: pooled.votes, words: pooled.words,
    models: pooled.models, modelsBoth: pooled.masks[1] ?? new Uint32Array(pooled.models.length),
    top1, original,
  };
}

/** Proposals from in-memory logits. */
export function propose(input: ProposeInput): Proposals {
  const { n, c, logits, original } = input;
  if (logits.length === 0) throw new UsageError('propose needs at least one model');
  if (!Number.isInteger(n) || n < 1 || !Number.isInteger(c) || c < 1) throw new UsageError(`bad shape [${n}, ${c}]`);
  logits.forEach((l, m) => {
    if (l.length !== n * c) throw new ValidationError(`model ${m} has ${l.length} logits, expected N * C = ${n * c}`);
  });
  if (original.length !== n) throw new ValidationError(`original has ${original.length} labels, expected ${n}`);
  checkLabelRange(original, c, undefined, 'original label');
  const k = resolveK(input.k, n, c);
  const minVotes = resolveMinVotes(input.minVotes);
  const names = input.modelNames ?? logits.map((_, m) => `model_${m}`);
  if (names.length !== logits.length) throw new UsageError(`${names.length} model names for ${logits.length} models`);
  const scans = logits.map((l, m) => scanMatrix(l, n, c, k, { threads: input.threads, backend: input.backend, file: names[m] }));
  return poolScans(scans, n, c, original, { k, minVotes, names, backend: input.backend });
}

/** Model names from file names: base names without .npy, made unique. */
export function modelNamesFor(files: string[]): string[] {
  const base = files.map((f) => path.basename(f).replace(/\.npy$/i, ''));
  return base.map((b, i) => (base.indexOf(b) === base.lastIndexOf(b) ? b : `${b}#${i}`));
}

/** Opens every logits file's header: same 2-D float shape everywhere. */
export function checkLogitFiles(files: string[]): { n: number; c: number } {
  if (files.length === 0) throw new UsageError('--logits needs at least one file');
  let first: { n: number; c: number; file: string } | undefined;
  for (const file of files) {
    const r = NpyReader.open(file);
    try {
      if (!['f2', 'f4', 'f8'].includes(r.dtype)) throw new UnsupportedError(`logits must be float (f2, f4, f8), got '${r.dtype}'`, file);
      if (r.shape.length !== 2) throw new FormatError(`logits must be 2-D [N, C], got shape (${r.shape.join(', ')})`, file);
      if (r.header.fortranOrder) throw new UnsupportedError('Fortran-ordered logits cannot be streamed; save with np.ascontiguousarray', file);
      const [n, c] = r.shape;
      if (n < 1 || c < 1) throw new ValidationError(`logits shape (${n}, ${c}) is empty`, file);
      if (n > MAX_DIM || c > MAX_DIM) throw new ValidationError(`shape (${n}, ${c}) is not supported: image and label indices are int32 (at most 2^31 - 1)`, file);
      if (!first) first = { n, c, file };
      else if (n !== first.n || c !== first.c) {
        throw new ValidationError(`shape (${n}, ${c}) differs from ${first.file}: (${first.n}, ${first.c})`, file);
      }
    } finally {
      r.close();
    }
  }
  return { n: first!.n, c: first!.c };
}

/** Reads and checks the original labels: integer [N] in [0, C). */
export function readOriginal(file: string, n: number, c: number): Int32Array {
  const arr = readNpy(file);
  const labels = toInt32(arr, file, 'original labels');
  if (arr.shape.length !== 1 || labels.length !== n) {
    throw new ValidationError(`original labels must have shape (${n},) like the logits, got (${arr.shape.join(', ')})`, file);
  }
  checkLabelRange(labels, c, file, 'original label');
  return labels;
}

function reviveError(e: { name: string; code?: string; message: string; file?: string }): Error {
  const msg = e.file && e.message.startsWith(`${e.file}: `) ? e.message.slice(e.file.length + 2) : e.message;
  switch (e.name) {
    case 'FormatError':
      return new FormatError(msg, e.file);
    case 'ValidationError':
      return new ValidationError(msg, e.file);
    case 'UnsupportedError':
      return new UnsupportedError(msg, e.file);
    default:
      return e.code ? new RealabelError(e.code, msg, e.file) : Object.assign(new Error(e.message), { name: e.name });
  }
}

/** Proposals from .npy files, one Piscina task per model. */
export async function proposeFiles(input: ProposeFilesInput): Promise<{ proposals: Proposals; timings_ms: ProposeTimings }> {
  const t0 = now();
  const { n, c } = checkLogitFiles(input.logits);
  const original = readOriginal(input.original, n, c);
  const k = resolveK(input.k, n, c, input.logits[0]);
  const minVotes = resolveMinVotes(input.minVotes);
  const M = input.logits.length;
  const workers = Math.min(resolveWorkers(input.workers), M);
  // Threads per worker so workers x threads does not oversubscribe the cores.
  const threads = input.threads || Math.max(1, Math.floor(resolveWorkers(0) / workers));
  const pool = createPool('propose/worker.ts', workers);
  const scans: ModelScan[] = new Array(M);
  let done = 0;
  try {
    await Promise.all(
      input.logits.map(async (file, m) => {
        const task: ScanTask = { file, k, threads, backend: input.backend, chunkBytes: input.chunkBytes ?? 16 << 20 };
        const r = (await pool.run(task).catch((err: unknown) => Promise.reject(workerFailed(err, file)))) as ScanResult;
        if (!r.ok) throw reviveError(r.error);
        scans[m] = r.scan;
        input.onModel?.(++done, M);
      }),
    );
  } finally {
    await pool.destroy();
  }
  const tScan = since(t0);
  const t1 = now();
  const proposals = poolScans(scans, n, c, original, { k, minVotes, names: modelNamesFor(input.logits), backend: input.backend });
  return { proposals, timings_ms: { scan: tScan, pool: since(t1), total: since(t0) } };
}

export interface ProposalStats {
  P: number;
  images: number;
  models: number;
  proposals_per_image: { mean: number; max: number };
  /** Images where every model's top-1 equals the original label. */
  all_top1_equal_original: number;
}

export function proposalStats(p: Proposals): ProposalStats {
  const perImage = new Int32Array(p.n);
  for (const i of p.image) perImage[i]++;
  let max = 0;
  for (const v of perImage) max = Math.max(max, v);
  const M = p.modelNames.length;
  let agree = 0;
  for (let i = 0; i < p.n; i++) {
    let all = true;
    for (let m = 0; m < M && all; m++) all = p.top1[m * p.n + i] === p.original[i];
    if (all) agree++;
  }
  return {
    P: p.image.length, images: p.n, models: M,
    proposals_per_image: { mean: p.image.length / p.n, max }, all_top1_equal_original: agree,
  };
}

