/**
 * `propose`: which (image, label) pairs humans should rate. For each model,
 * its global top-K pairs by logit and by probability are two sources of
 * votes; pairs with at least `minVotes` votes are kept, plus every model's
 * top-1 and the original label of each image (see src/pool/pool.ts).
 *
 * `propose` takes in-memory matrices (a Node service) and awaits the top-K
 * kernels one model at a time; `proposeSync` is the same on the calling
 * thread (scripts). `proposeFiles` streams .npy files through Piscina
 * workers, so at most `workers` models are being read at once, one row chunk
 * each, and writes proposals.npz when `out` is given.
 */
import * as path from 'node:path';
import { AbortError, aboutOption, FormatError, RealabelError, UnsupportedError, UsageError, ValidationError } from '../errors';
import { checkOutputPath } from '../io/atomic';
import { checkLabelRange, toInt32 } from '../io/convert';
import { NpyReader, readNpy } from '../io/npy';
import type { Backend } from '../native/addon';
import { poolPairsSync, type PairSource, type Pooled } from '../pool/pool';
import { checkSignal, pause, throwIfAborted } from '../util/abort';
import { poolPairsAsync, topkAsync } from '../util/kernels';
import { createPool, resolveWorkers, workerFailed } from '../util/workers';
import { now, since } from '../util/timer';
import { writeProposals } from './io';
import { argmaxRows, scanMatrix, type ModelScan } from './scan';
import type { ScanResult, ScanTask } from './worker';

// src/cluster loads bullmq and ioredis: load it only when `cluster` is given, so
// that `require('realabel')` stays light (test/api/lazy-cluster.test.ts).
const clusterPropose = () => import('../cluster/propose');
const clusterConnection = () => import('../cluster/connection');

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
  /** Stops the work early with an AbortError. */
  signal?: AbortSignal;
  /** Called after each model is scanned. */
  onProgress?: (done: number, total: number) => void;
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
  /** Bytes of logits per row chunk a worker reads (default 4 MiB, see PROPOSE_CHUNK_BYTES). */
  chunkBytes?: number;
  /** proposals.npz to write (see io.ts); nothing is written when absent. */
  out?: string;
  /** redis://HOST:PORT: scan the models on realabel cluster workers (src/cluster); the same bytes. */
  cluster?: string;
}

export interface ProposeTimings {
  scan: number;
  pool: number;
  write: number;
  total: number;
}

export interface ProposeFilesResult {
  proposals: Proposals;
  stats: ProposalStats;
  /** The file written, when `out` was given. */
  out?: string;
  timingsMs: ProposeTimings;
}

/**
 * 4 MiB chunks, by measurement (19 models x 200 MB, 2 workers; process CPU
 * time, load 1-4.5; docs/io.md): 4 MiB 6.6-8.3 s, 8 MiB 8.1-9.3 s, 16 MiB
 * 9.5-10.4 s, 1-2 MiB 8.3-10 s; wall time at load 1: 4.0 s against 5.5-6.2 s
 * for 16 MiB. A chunk that stays in cache is read and scanned in one go.
 */
export const PROPOSE_CHUNK_BYTES = 4 << 20;

/** K per model and criterion; `file`: the logits whose shape bounds it (named in the error). */
const MAX_DIM = 2 ** 31 - 1;

function resolveK(k: number | undefined, n: number, c: number, file?: string): number {
  const value = k ?? Math.min(3 * n, n * c);
  if (!Number.isInteger(value) || value < 1 || value > n * c) {
    const msg = `\`k\` must be an integer in [1, N * C = ${n * c}], got ${value}`;
    throw aboutOption('k', file ? new ValidationError(`${msg} (logits of shape (${n}, ${c}))`, file) : new UsageError(msg));
  }
  return value;
}

function resolveMinVotes(v: number | undefined): number {
  const value = v ?? 2;
  if (!Number.isInteger(value) || value < 1) throw new UsageError(`\`minVotes\` must be an integer >= 1, got ${value}`, 'minVotes');
  return value;
}

interface PoolScanOptions {
  k: number;
  minVotes: number;
  names: string[];
  backend?: Backend;
  signal?: AbortSignal;
}

/** Pools the scans of all models into proposals. */
export function poolScans(scans: ModelScan[], n: number, c: number, original: Int32Array, opts: PoolScanOptions): Proposals {
  return proposalsOf(scans, n, c, original, opts, poolPairsSync(poolInput(scans, n, c, original, opts), { backend: opts.backend }));
}

/** poolScans, awaiting the pooling kernel. */
export async function poolScansAsync(scans: ModelScan[], n: number, c: number, original: Int32Array, opts: PoolScanOptions): Promise<Proposals> {
  const pooled = await poolPairsAsync(poolInput(scans, n, c, original, opts), { backend: opts.backend, signal: opts.signal });
  return proposalsOf(scans, n, c, original, opts, pooled);
}

function poolInput(scans: ModelScan[], n: number, c: number, original: Int32Array, opts: PoolScanOptions) {
  const M = scans.length;
  const sources: PairSource[] = [];
  scans.forEach((s, m) => {
    sources.push({ image: s.byLogit.image, label: s.byLogit.label, model: m });
    sources.push({ image: s.byProb.image, label: s.byProb.label, model: m });
  });
  const forced = [...scans.map((s) => s.top1), original];
  return { n, c, models: M, sources, forced, minVotes: opts.minVotes };
}

function proposalsOf(scans: ModelScan[], n: number, c: number, original: Int32Array, opts: PoolScanOptions, pooled: Pooled): Proposals {
  const M = scans.length;
  const top1 = new Int32Array(M * n);
  scans.forEach((s, m) => top1.set(s.top1, m * n));
  return {
    n, c, k: opts.k, minVotes: opts.minVotes, modelNames: opts.names,
    image: pooled.image, label: pooled.label, votes: pooled.votes, words: pooled.words,
    models: pooled.models, modelsBoth: pooled.masks[1] ?? new Uint32Array(pooled.models.length),
    top1, original,
  };
}

/** Checks in-memory inputs; returns the resolved options. */
function checkInput(input: ProposeInput): { k: number; minVotes: number; names: string[] } {
  const { n, c, logits, original } = input;
  if (!Array.isArray(logits) || logits.length === 0) throw new UsageError('`logits` needs at least one model', 'logits');
  if (!Number.isInteger(n) || n < 1 || !Number.isInteger(c) || c < 1) throw new UsageError(`bad shape [${n}, ${c}]`);
  logits.forEach((l, m) => {
    if (l.length !== n * c) throw new ValidationError(`model ${m} has ${l.length} logits, expected N * C = ${n * c}`);
  });
  if (original.length !== n) throw new ValidationError(`original has ${original.length} labels, expected ${n}`);
  checkLabelRange(original, c, undefined, 'original label');
  const k = resolveK(input.k, n, c);
  const minVotes = resolveMinVotes(input.minVotes);
  const names = input.modelNames ?? logits.map((_, m) => `model_${m}`);
  if (names.length !== logits.length) throw new UsageError(`${names.length} \`modelNames\` for ${logits.length} models`, 'modelNames');
  return { k, minVotes, names };
}

/**
 * Proposals from in-memory logits. The top-K kernels run off the event loop;
 * the per-row argmax runs here in slices of ~4M values with a yield between
 * them, so a service keeps answering while it proposes.
 */
export async function propose(input: ProposeInput): Promise<Proposals> {
  const signal = checkSignal(input.signal);
  const { k, minVotes, names } = checkInput(input);
  const { n, c, logits, original } = input;
  const scans: ModelScan[] = [];
  for (const [m, data] of logits.entries()) {
    const opts = { threads: input.threads, backend: input.backend, file: names[m], signal };
    const byLogit = await topkAsync(data, n, c, k, { ...opts, criterion: 'logit' });
    const byProb = await topkAsync(data, n, c, k, { ...opts, criterion: 'prob' });
    scans.push({ byLogit, byProb, top1: await argmaxSliced(data, n, c, signal) });
    input.onProgress?.(m + 1, logits.length);
  }
  return poolScansAsync(scans, n, c, original, { k, minVotes, names, backend: input.backend, signal });
}

/** `propose` on the calling thread (scripts): the same proposals. */
export function proposeSync(input: Omit<ProposeInput, 'signal'>): Proposals {
  const { k, minVotes, names } = checkInput(input);
  const { n, c, logits, original } = input;
  const scans = logits.map((l, m) => {
    const scan = scanMatrix(l, n, c, k, { threads: input.threads, backend: input.backend, file: names[m] });
    input.onProgress?.(m + 1, logits.length);
    return scan;
  });
  return poolScans(scans, n, c, original, { k, minVotes, names, backend: input.backend });
}

const SLICE_VALUES = 1 << 20;

async function argmaxSliced(data: Float32Array | Float64Array, n: number, c: number, signal?: AbortSignal): Promise<Int32Array> {
  const top1 = new Int32Array(n);
  const rows = Math.max(1, Math.floor(SLICE_VALUES / c));
  for (let start = 0; start < n; start += rows) {
    await pause(signal);
    const count = Math.min(rows, n - start);
    argmaxRows(data.subarray(start * c, (start + count) * c), count, c, top1, start);
  }
  return top1;
}

/** Model names from file names: base names without .npy, made unique. */
export function modelNamesFor(files: string[]): string[] {
  const base = files.map((f) => path.basename(f).replace(/\.npy$/i, ''));
  return base.map((b, i) => (base.indexOf(b) === base.lastIndexOf(b) ? b : `${b}#${i}`));
}

/** Opens every logits file's header: same 2-D float shape everywhere. */
export function checkLogitFiles(files: string[]): { n: number; c: number } {
  if (!Array.isArray(files) || files.length === 0) throw new UsageError('`logits` needs at least one file', 'logits');
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

/** Proposals from .npy files, one Piscina task per model; writes proposals.npz to `out` when given. */
export async function proposeFiles(input: ProposeFilesInput): Promise<ProposeFilesResult> {
  const signal = checkSignal(input.signal);
  const t0 = now();
  if (input.out) checkOutputPath(input.out);
  if (input.cluster) await (await clusterConnection()).checkClusterBackend(input.cluster, input.backend);
  const { n, c } = checkLogitFiles(input.logits);
  const original = readOriginal(input.original, n, c);
  const k = resolveK(input.k, n, c, input.logits[0]);
  const minVotes = resolveMinVotes(input.minVotes);
  const scans = input.cluster
    ? await (await clusterPropose()).scanOnCluster({ ...input, cluster: input.cluster, k, scratch: input.out && path.dirname(path.resolve(input.out)) })
    : await scanFiles(input, k, signal);
  const tScan = since(t0);
  let t = now();
  const proposals = await poolScansAsync(scans, n, c, original, { k, minVotes, names: modelNamesFor(input.logits), backend: input.backend, signal });
  const tPool = since(t);
  t = now();
  throwIfAborted(signal);
  if (input.out) writeProposals(input.out, proposals);
  const write = since(t);
  return { proposals, stats: proposalStats(proposals), out: input.out, timingsMs: { scan: tScan, pool: tPool, write, total: since(t0) } };
}

async function scanFiles(input: ProposeFilesInput, k: number, signal?: AbortSignal): Promise<ModelScan[]> {
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
        const task: ScanTask = { file, k, threads, backend: input.backend, chunkBytes: input.chunkBytes ?? PROPOSE_CHUNK_BYTES };
        const r = (await pool.run(task, { signal }).catch((err: unknown) => Promise.reject(failed(err, file, signal)))) as ScanResult;
        if (!r.ok) throw reviveError(r.error);
        scans[m] = r.scan;
        input.onProgress?.(++done, M);
      }),
    );
  } finally {
    await pool.destroy();
  }
  return scans;
}

/** A task that failed because the caller aborted is an AbortError, not a worker failure. */
function failed(err: unknown, file: string, signal?: AbortSignal): Error {
  if (signal?.aborted) return new AbortError();
  return workerFailed(err, file);
}

export interface ProposalStats {
  P: number;
  images: number;
  models: number;
  proposalsPerImage: { mean: number; max: number };
  /** Images where every model's top-1 equals the original label. */
  allTop1EqualOriginal: number;
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
    proposalsPerImage: { mean: p.image.length / p.n, max }, allTop1EqualOriginal: agree,
  };
}

