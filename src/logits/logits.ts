/**
 * `logits`: every image through an ONNX classifier, rows in input order.
 * Batches go to a Piscina pool (one onnxruntime session per worker); results
 * are written in order as they complete into a resumable partial file
 * (`partial.ts`) that becomes `out` by rename once complete.
 *
 * Beside `out` it writes `<out>.files.txt` (one image per row, in row order)
 * and, with `skipBad`, `<out>.skipped.txt` (the images whose rows are NaN).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { FormatError, RealabelError, UnsupportedError, UsageError, ValidationError } from '../errors';
import { writeFileAtomicSync } from '../io/atomic';
import { createPool, resolveWorkers, type WorkerPool } from '../util/workers';
import { now, since } from '../util/timer';
import { listImages } from './images';
import { checkDeclared, checkModelFile, checkProbe, type ModelIo } from './model-check';
import { PartialOutput, sha256File, sha256Lines, type Fingerprint, type SkippedRow } from './partial';
import { resolvePreprocess, type PreprocessInput, type PreprocessOptions } from './preprocess';
import type { BatchResult, BatchTask, InspectResult, InspectTask } from './worker';
import { requirePackages } from '../util/optional';

export interface LogitsOptions extends PreprocessInput {
  /** ONNX model file. */
  model: string;
  /** A folder (sorted recursively), a list file (one path per line), or explicit paths. */
  images: string | readonly string[];
  /** Output .npy (float32 [N, classes]). */
  out: string;
  /** Images per inference call (default 32, or the model's fixed batch size). */
  batch?: number;
  /** Piscina worker threads (0 or absent: all cores). */
  workers?: number;
  /** onnxruntime intra-op threads per worker (default 1). */
  intraOpThreads?: number;
  /** Continue an interrupted run from its last completed chunk. */
  resume?: boolean;
  /** Record unreadable images (NaN rows) instead of failing. */
  skipBad?: boolean;
  /** Expected number of classes (the output's second dimension). */
  classes?: number;
  inputName?: string;
  outputName?: string;
  /** Stops the run between chunks; the partial output stays for `resume`. */
  signal?: AbortSignal;
  /** Called after each chunk is durable: rows written so far (resumed ones included), of `rows`. */
  onProgress?: (rowsDone: number, rows: number) => void;
}

export interface LogitsResult {
  out: string;
  filesList: string;
  skippedList?: string;
  images: number;
  classes: number;
  batch: number;
  workers: number;
  /** Rows already done when this run started (`resume`). */
  resumedFrom: number;
  skipped: SkippedRow[];
  imagesPerSecond: number;
  /** decode/normalise/infer are summed over workers; the rest is wall time. */
  timings_ms: Record<string, number>;
}

/** Thrown when `signal` aborts a run; the partial output is kept for `resume`. */
export class InterruptedError extends RealabelError {
  constructor(out: string) {
    super('E_INTERRUPTED', `interrupted; partial output kept, rerun with \`resume\` to continue`, out);
  }
}

const DEFAULT_BATCH = 32;

interface Plan {
  pre: PreprocessOptions;
  io: ModelIo;
  batch: number;
  classes: number;
}

/** Runs the model over the images and writes `out`; see LogitsOptions. */
export async function logits(opts: LogitsOptions): Promise<LogitsResult> {
  requirePackages('logits', ['onnxruntime-node', 'sharp']);
  const t0 = now();
  const pre = resolvePreprocess(opts);
  const intraOpThreads = opts.intraOpThreads ?? 1;
  if (!Number.isInteger(intraOpThreads) || intraOpThreads < 1) throw new UsageError('intraOpThreads must be a positive integer');
  if (opts.batch !== undefined && (!Number.isInteger(opts.batch) || opts.batch < 1)) throw new UsageError('`batch` must be a positive integer');
  checkModelFile(opts.model);
  const outDir = path.dirname(path.resolve(opts.out));
  if (!fs.existsSync(outDir)) throw new FormatError('output folder does not exist', outDir);
  if (fs.existsSync(opts.out) && fs.statSync(opts.out).isDirectory()) throw new UsageError(`\`out\` ${opts.out} is a folder; give a file name`);
  const list = listImages(opts.images);
  const timings: Record<string, number> = { list: since(t0) };

  // sharp must be loaded by the main thread before any worker uses it.
  require('sharp');
  const workers = resolveWorkers(opts.workers);
  const pool = createPool('logits/worker.ts', workers);
  let part: PartialOutput | undefined;
  try {
    const t1 = now();
    const plan = await planRun(pool, opts, pre, intraOpThreads);
    timings.load_model = since(t1);
    const fingerprint: Fingerprint = {
      model: { path: path.resolve(opts.model), size: fs.statSync(opts.model).size, sha256: sha256File(opts.model) },
      images: { count: list.files.length, sha256: sha256Lines(list.files.map((f) => path.resolve(f))) },
      options: { ...pre, batch: plan.batch, intraOpThreads, inputName: plan.io.inputName, outputName: plan.io.outputName },
    };
    part = PartialOutput.open(opts.out, list.files.length, plan.classes, fingerprint, Boolean(opts.resume));
    const resumedFrom = part.rowsDone;
    const t2 = now();
    const work = await runBatches(pool, part, list, plan, opts, intraOpThreads);
    timings.run = since(t2);
    Object.assign(timings, work.ms);
    const lists = writeLists(opts.out, list.names, part.skipped, Boolean(opts.skipBad) || part.skipped.length > 0);
    part.finish();
    timings.total = since(t0);
    const processed = list.files.length - resumedFrom;
    return {
      out: opts.out,
      ...lists,
      images: list.files.length,
      classes: plan.classes,
      batch: plan.batch,
      workers,
      resumedFrom,
      skipped: [...part.skipped],
      imagesPerSecond: timings.run > 0 ? Math.round((processed / timings.run) * 1e4) / 10 : 0,
      timings_ms: timings,
    };
  } finally {
    part?.close();
    await pool.destroy();
  }
}

/** Loads the model in a worker and checks it against the options before any image is read. */
async function planRun(pool: WorkerPool, opts: LogitsOptions, pre: PreprocessOptions, intraOpThreads: number): Promise<Plan> {
  const base: InspectTask = { model: path.resolve(opts.model), intraOpThreads };
  const declared = (await pool.run(base, { name: 'inspect' })) as InspectResult;
  if (!declared.ok) throw new FormatError(`cannot load ONNX model: ${declared.error}`, opts.model);
  const io = checkDeclared(declared, { ...opts, inputSize: pre.inputSize, layout: pre.layout });
  let batch = opts.batch ?? io.fixedBatch ?? DEFAULT_BATCH;
  if (io.fixedBatch !== undefined && batch !== io.fixedBatch) {
    throw new UsageError(`${opts.model}: model input '${io.inputName}' has a fixed batch size of ${io.fixedBatch}; use \`batch\` ${io.fixedBatch}`);
  }
  const probeBatch = io.fixedBatch ?? Math.min(2, batch);
  const s = pre.inputSize;
  const inputDims = pre.layout === 'nhwc' ? [probeBatch, s, s, 3] : [probeBatch, 3, s, s];
  const probe = (await pool.run(
    { ...base, probe: { inputName: io.inputName, outputName: io.outputName, dims: inputDims } },
    { name: 'inspect' },
  )) as InspectResult;
  if (!probe.ok) throw new FormatError(`cannot load ONNX model: ${probe.error}`, opts.model);
  const classes = checkProbe(probe, io, probeBatch, { model: opts.model, classes: opts.classes, inputDims });
  batch = Math.max(1, batch);
  return { pre, io, batch, classes };
}

/** Dispatches batches (a bounded window ahead) and writes their rows in input order. */
async function runBatches(
  pool: WorkerPool,
  part: PartialOutput,
  list: { files: string[]; names: string[] },
  plan: Plan,
  opts: LogitsOptions,
  intraOpThreads: number,
): Promise<{ ms: Record<string, number> }> {
  const n = list.files.length;
  const { batch } = plan;
  const firstBatch = part.rowsDone / batch;
  if (part.rowsDone < n && !Number.isInteger(firstBatch)) throw new Error(`internal: resume point ${part.rowsDone} is not a multiple of the batch size ${batch}`);
  const nb = Math.ceil(n / batch);
  const window = 2 * pool.threads;
  const ms = { decode: 0, normalise: 0, infer: 0, write: 0 };
  const pending = new Map<number, Promise<BatchResult>>();
  const submit = (k: number): void => {
    const files = list.files.slice(k * batch, Math.min(n, (k + 1) * batch));
    const task: BatchTask = {
      model: path.resolve(opts.model),
      intraOpThreads,
      files,
      inputName: plan.io.inputName,
      outputName: plan.io.outputName,
      pre: plan.pre,
      padTo: plan.io.fixedBatch ?? files.length,
    };
    const p = pool.run(task) as Promise<BatchResult>;
    p.catch(() => undefined); // observed when its turn comes; avoid unhandled rejections meanwhile
    pending.set(k, p);
  };
  let next = firstBatch;
  for (let k = firstBatch; k < nb; k++) {
    while (next < nb && next < k + window) submit(next++);
    const res = await untilAborted(pending.get(k)!, opts.signal, opts.out, plan, k);
    pending.delete(k);
    const t = now();
    const skipped = badRows(res, k * batch, list, opts);
    part.append(res.logits, skipped);
    ms.write += since(t);
    ms.decode += res.ms.decode;
    ms.normalise += res.ms.normalise;
    ms.infer += res.ms.infer;
    opts.onProgress?.(part.rowsDone, n);
  }
  for (const key of Object.keys(ms) as Array<keyof typeof ms>) ms[key] = Math.round(ms[key] * 1000) / 1000;
  return { ms };
}

/** Awaits a batch, or throws InterruptedError as soon as `signal` aborts. */
async function untilAborted(p: Promise<BatchResult>, signal: AbortSignal | undefined, out: string, plan: Plan, k: number): Promise<BatchResult> {
  if (signal?.aborted) throw new InterruptedError(out);
  const guarded = p.catch((err: unknown) => {
    const rows = `${k * plan.batch}..${(k + 1) * plan.batch - 1}`;
    throw new ValidationError(`inference failed on rows ${rows}: ${(err as Error)?.message ?? err}`);
  });
  if (!signal) return guarded;
  guarded.catch(() => undefined); // the pool is destroyed after an abort; its rejection is expected
  let onAbort!: () => void;
  const aborted = new Promise<never>((_, reject) => {
    onAbort = () => reject(new InterruptedError(out));
    signal.addEventListener('abort', onAbort, { once: true });
  });
  try {
    return await Promise.race([guarded, aborted]);
  } finally {
    signal.removeEventListener('abort', onAbort);
  }
}

/** Unreadable images: an error naming the first one, or NaN rows with --skip-bad. */
function badRows(res: BatchResult, start: number, list: { files: string[]; names: string[] }, opts: LogitsOptions): SkippedRow[] {
  if (res.bad.length === 0) return [];
  if (!opts.skipBad) {
    const first = res.bad[0];
    const Err = first.code === 'E_UNSUPPORTED' ? UnsupportedError : FormatError;
    throw new Err(`${first.message} (rows before it are kept: fix or remove the file, or pass \`skipBad\`, then rerun with \`resume\`)`, list.files[start + first.index]);
  }
  const classes = res.classes;
  return res.bad.map((b) => {
    res.logits.fill(NaN, b.index * classes, (b.index + 1) * classes);
    return { row: start + b.index, file: list.names[start + b.index], error: b.message };
  });
}

/** Writes `<out>.files.txt` and, with skipBad or NaN rows, `<out>.skipped.txt` (before the rename of `out`). */
function writeLists(out: string, names: string[], skipped: readonly SkippedRow[], withSkipped: boolean): { filesList: string; skippedList?: string } {
  const filesList = `${out}.files.txt`;
  writeFileAtomicSync(filesList, names.map((n) => `${n}\n`).join(''));
  if (!withSkipped) return { filesList };
  const skippedList = `${out}.skipped.txt`;
  writeFileAtomicSync(skippedList, skipped.map((s) => `${s.file}\n`).join(''));
  return { filesList, skippedList };
}
