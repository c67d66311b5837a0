/**
 * Exact top-K selection over a whole [N, C] matrix: the K largest entries as
 * (image, label, value), best first, ties broken by the lower flat index
 * image*C + label. `logit` ranks raw values; `prob` ranks the per-row softmax
 * probability, computed fused as logit - logsumexp(row) (never materialised).
 * Native core when available, else the bit-identical TypeScript twin.
 */
import { AbortError, UnsupportedError, UsageError, ValidationError } from '../errors';
import { checkOutputPath } from '../io/atomic';
import { NpyReader } from '../io/npy';
import { writeNpz } from '../io/npz';
import {
  runNativeAsync, selectAddon, withBackend, type Backend, type ErrorContext, type KernelOptions, type NativeAddon,
  type NativeStream,
} from '../native/addon';
import { now, since } from '../util/timer';
import { runTwin } from '../util/workers';
import { kRangeMessage, nonFiniteMessage, TopKSelectorTs, type Criterion, type Pairs } from './topk-ts';

export type { Criterion, Pairs } from './topk-ts';

export interface TopKOptions extends KernelOptions {
  criterion?: Criterion;
  /** Native kernel threads (0 or absent = all cores); never changes the result. */
  threads?: number;
  backend?: Backend;
  /** Named in error messages. */
  file?: string;
}

const MAX_DIM = 2147483647; // image and label are int32
const CRITERIA: Record<Criterion, number> = { logit: 0, prob: 1 };

function criterionOf(opts: TopKOptions): Criterion {
  const criterion = opts.criterion ?? 'logit';
  if (!(criterion in CRITERIA)) throw new UsageError(`criterion must be 'logit' or 'prob', got '${String(criterion)}'`);
  return criterion;
}

function threadsOf(opts: TopKOptions): number {
  const t = opts.threads ?? 0;
  if (!Number.isInteger(t) || t < 0 || t > 1024) throw new UsageError(`threads must be an integer in [0, 1024], got ${t}`);
  return t;
}

function checkInt(name: string, v: number, lo: number, hi: number): void {
  if (!Number.isInteger(v) || v < lo || v > hi) throw new UsageError(`${name} must be an integer in [${lo}, ${hi}], got ${v}`);
}

function checkData(data: unknown, what: string): asserts data is Float32Array | Float64Array {
  if (!(data instanceof Float32Array) && !(data instanceof Float64Array)) {
    throw new UsageError(`${what} must be a Float32Array or Float64Array`);
  }
}

function checkK(k: number, total: number, file?: string): void {
  if (!Number.isInteger(k)) throw new UsageError(`k must be an integer, got ${k}`);
  if (k < 1 || k > total) throw new ValidationError(kRangeMessage(k, total), file);
}

function checkMatrix(data: Float32Array | Float64Array, n: number, c: number, k: number, opts: TopKOptions): void {
  checkData(data, 'data');
  checkInt('n', n, 0, MAX_DIM);
  checkInt('c', c, 1, MAX_DIM);
  if (data.length !== n * c) throw new UsageError(`data has ${data.length} values, expected n * c = ${n * c}`);
  checkK(k, n * c, opts.file);
}

/** Native errors of top-K: a non-finite entry names its row and column. */
function errorContext(opts: TopKOptions): ErrorContext {
  return { file: opts.file, dataMessage: (e) => nonFiniteMessage(e.row!, e.column!, e.value!) };
}

/** The K best entries of the matrix `data` ([n, c], row-major), on the calling thread. */
export function topkSync(data: Float32Array | Float64Array, n: number, c: number, k: number, opts: TopKOptions = {}): Pairs {
  checkMatrix(data, n, c, k, opts);
  const criterion = criterionOf(opts);
  const threads = threadsOf(opts);
  return withBackend(opts.backend, {
    native: (addon) => addon.topkSelect(data, n, c, k, CRITERIA[criterion] as 0 | 1, threads),
    twin: () => {
      const sel = new TopKSelectorTs(c, k, criterion, opts.file);
      sel.push(data, n);
      return sel.finish();
    },
  }, errorContext(opts));
}

/**
 * The K best entries of the matrix `data` ([n, c], row-major), off the event
 * loop: natively on libuv's pool (reading `data` in place: do not modify it
 * until the promise settles), the twin in a worker. Rejects with an
 * AbortError when `opts.signal` fires.
 */
export async function topk(data: Float32Array | Float64Array, n: number, c: number, k: number, opts: TopKOptions = {}): Promise<Pairs> {
  checkMatrix(data, n, c, k, opts);
  const criterion = criterionOf(opts);
  const threads = threadsOf(opts);
  return withBackend(opts.backend, {
    native: (addon) => runNativeAsync(opts.signal, (flag) => addon.topkSelectAsync(data, n, c, k, CRITERIA[criterion] as 0 | 1, threads, undefined, flag)),
    twin: () => runTwin<Pairs>('topkSelect', [data, n, c, k, criterion], opts.signal),
  }, errorContext(opts));
}

/**
 * A native stream; with expectedRows (a file reader knows the total) the
 * first chunk estimates the K-th key of the whole matrix from a sample, as
 * the in-memory kernel does, so later chunks keep far fewer candidates. If
 * fewer than K keys reach the estimate (rows far from alike), the stream is
 * `unproven` after the last push and its finish refuses: the reader pushes
 * the rows again into a stream without it. The result is the same bytes
 * either way (native/topk_core.h).
 */
function createNativeStream(addon: NativeAddon, c: number, k: number, criterion: Criterion, threads: number, expectedRows: number): NativeStream {
  const crit = CRITERIA[criterion] as 0 | 1;
  return expectedRows > 0 ? addon.topkStreamCreate(c, k, crit, threads, undefined, expectedRows) : addon.topkStreamCreate(c, k, crit, threads);
}

/** State shared by both stream forms: argument checks and the open/failed/finished states. */
abstract class StreamBase {
  protected state: 'open' | 'failed' | 'finished' = 'open';
  protected rows = 0;
  protected readonly criterion: Criterion;
  protected readonly threads: number;

  constructor(
    protected readonly c: number,
    protected readonly k: number,
    protected readonly opts: TopKOptions,
  ) {
    checkInt('c', c, 1, MAX_DIM);
    checkInt('k', k, 1, Number.MAX_SAFE_INTEGER);
    this.criterion = criterionOf(opts);
    this.threads = threadsOf(opts);
  }

  /** Rows pushed so far. */
  get rowsSeen(): number {
    return this.rows;
  }

  protected checkPush(rows: Float32Array | Float64Array, nRows: number): void {
    this.checkOpen();
    checkData(rows, 'rows');
    checkInt('nRows', nRows, 0, MAX_DIM - this.rows);
    if (rows.length < nRows * this.c) {
      throw new UsageError(`rows has ${rows.length} values, expected at least nRows * c = ${nRows * this.c}`);
    }
  }

  protected checkFinish(): void {
    this.checkOpen();
    this.state = 'finished';
    checkK(this.k, this.rows * this.c, this.opts.file);
  }

  protected checkOpen(): void {
    if (this.state === 'failed') throw new UsageError('this top-K stream already failed');
    if (this.state === 'finished') throw new UsageError('this top-K stream is finished');
  }
}

/** Top-K over rows pushed in chunks, keeping only O(K) state; runs on the calling thread. */
export class TopKStreamSync extends StreamBase {
  private readonly addon: NativeAddon | null;
  private readonly handle: NativeStream | null;
  private readonly twin: TopKSelectorTs | null;

  /** expectedRows: internal, for the file readers (see StreamBase.unproven). */
  constructor(c: number, k: number, opts: TopKOptions = {}, expectedRows = 0) {
    super(c, k, opts);
    this.addon = selectAddon(opts.backend);
    this.twin = this.addon ? null : new TopKSelectorTs(c, k, this.criterion, opts.file);
    this.handle = this.addon ? createNativeStream(this.addon, c, k, this.criterion, this.threads, expectedRows) : null;
  }

  /** @internal See StreamBase.unproven. */
  get unproven(): boolean {
    return this.addon !== null && this.addon.topkStreamStats(this.handle!).unproven;
  }

  /** Consumes the first nRows rows of `rows` (row-major, c values each). */
  push(rows: Float32Array | Float64Array, nRows: number): void {
    this.checkPush(rows, nRows);
    try {
      withBackend(this.addon ? this.opts.backend : 'ts', {
        native: (addon) => addon.topkStreamPush(this.handle!, rows, nRows),
        twin: () => this.twin!.push(rows, nRows),
      }, errorContext(this.opts));
    } catch (err) {
      this.state = 'failed';
      throw err;
    }
    this.rows += nRows;
  }

  /** The K best of everything pushed, best first. */
  finish(): Pairs {
    this.checkFinish();
    return withBackend(this.addon ? this.opts.backend : 'ts', {
      native: (addon) => addon.topkStreamFinish(this.handle!),
      twin: () => this.twin!.finish(),
    }, errorContext(this.opts));
  }
}

/**
 * Top-K over rows pushed in chunks, keeping only O(K) state, off the event
 * loop: each push runs natively on libuv's pool (reading `rows` in place: do
 * not modify them until the push settles) or, for the twin, in a worker that
 * returns the chunk's candidates. Calls queue: a push or finish starts when
 * the previous one has settled. `opts.signal` aborts the running call and
 * fails the stream.
 */
export class TopKStream extends StreamBase {
  private readonly addon: NativeAddon | null;
  private readonly handle: NativeStream | null;
  private readonly twin: TopKSelectorTs | null;
  private queue: Promise<unknown> = Promise.resolve();

  /** expectedRows: internal, for the file readers (see StreamBase.unproven). */
  constructor(c: number, k: number, opts: TopKOptions = {}, expectedRows = 0) {
    super(c, k, opts);
    this.addon = selectAddon(opts.backend);
    this.twin = this.addon ? null : new TopKSelectorTs(c, k, this.criterion, opts.file);
    this.handle = this.addon ? createNativeStream(this.addon, c, k, this.criterion, this.threads, expectedRows) : null;
  }

  /** @internal See StreamBase.unproven. */
  get unproven(): boolean {
    return this.addon !== null && this.addon.topkStreamStats(this.handle!).unproven;
  }

  /** Consumes the first nRows rows of `rows` (row-major, c values each). */
  async push(rows: Float32Array | Float64Array, nRows: number): Promise<void> {
    this.checkPush(rows, nRows);
    const first = this.rows;
    this.rows += nRows;
    return this.enqueue(async () => {
      const { signal } = this.opts;
      if (this.addon) {
        await runNativeAsync(signal, (flag) => this.addon!.topkStreamPushAsync(this.handle!, rows, nRows, flag));
        return;
      }
      const twin = this.twin!;
      const chunk = rows.subarray(0, nRows * this.c);
      const cands = await runTwin<{ keys: Float64Array; index: Float64Array; rows: number }>(
        'topkChunk', [chunk, nRows, this.c, this.k, this.criterion, first, twin.threshold], signal,
      );
      twin.pushCandidates(cands.keys, cands.index, cands.rows);
    });
  }

  /** The K best of everything pushed, best first. */
  async finish(): Promise<Pairs> {
    this.checkFinish();
    return this.enqueue(async () => {
      if (this.addon) return runNativeAsync(this.opts.signal, (flag) => this.addon!.topkStreamFinishAsync(this.handle!, flag));
      if (this.opts.signal?.aborted) throw new AbortError();
      return this.twin!.finish();
    });
  }

  private enqueue<T>(step: () => Promise<T>): Promise<T> {
    const run = async (): Promise<T> => {
      if (this.state === 'failed') throw new UsageError('this top-K stream already failed');
      try {
        return await withBackend(this.addon ? this.opts.backend : 'ts', { native: () => step(), twin: () => step() }, errorContext(this.opts));
      } catch (err) {
        this.state = 'failed';
        throw err;
      }
    };
    const next = this.queue.then(run, run);
    this.queue = next.catch(() => undefined);
    return next;
  }
}

const FLOAT_DTYPES = new Set(['f2', 'f4', 'f8']);
// 4 MB of float32 per chunk: read and select alike from 1 to 16 MB, and 4 MB stays in cache (docs/io.md).
const DEFAULT_CHUNK_VALUES = 1 << 20;

/** Options of topkFile / topkFileSync. */
export interface TopKFileOptions extends TopKOptions {
  /** Rows per chunk read from the file (default: about 4 MB of values); never changes the result. */
  chunkRows?: number;
  /** Writes the pairs here as .npz (image int32[K], label int32[K], value float32[K]), atomically. */
  out?: string;
}

export interface TopKFileResult {
  pairs: Pairs;
  n: number;
  c: number;
  /** Milliseconds: reading and decoding the file, selection alone, and writing `out` (0 without it). */
  timingsMs: { read: number; select: number; write: number };
}

/** Rounded to microseconds, as every `timingsMs` is. */
const round3 = (ms: number): number => Math.round(ms * 1000) / 1000;

/** Writes `out` when given; the result with its timings. */
function finishFile(pairs: Pairs, n: number, c: number, read: number, select: number, out: string | undefined): TopKFileResult {
  const t0 = now();
  if (out) {
    const k = pairs.image.length;
    // Views made here: the kernel's arrays may come from another realm (the addon's), which the npy writer's type check refuses.
    const view = <T>(Type: new (b: ArrayBufferLike, o: number, l: number) => T, a: ArrayBufferView & { length: number }) => new Type(a.buffer, a.byteOffset, a.length);
    writeNpz(out, {
      image: { dtype: 'i4', shape: [k], data: view(Int32Array, pairs.image) },
      label: { dtype: 'i4', shape: [k], data: view(Int32Array, pairs.label) },
      value: { dtype: 'f4', shape: [k], data: view(Float32Array, pairs.value) },
    });
  }
  return { pairs, n, c, timingsMs: { read: round3(read), select: round3(select), write: out ? since(t0) : 0 } };
}

function openLogits(file: string, k: number): { reader: NpyReader; n: number; c: number } {
  const reader = NpyReader.open(file);
  try {
    const { dtype, shape } = reader;
    if (!FLOAT_DTYPES.has(dtype)) {
      throw new UnsupportedError(`logits must be a float matrix (f2, f4 or f8), got dtype '${dtype}'`, file);
    }
    if (shape.length !== 2) {
      throw new ValidationError(`logits must be a 2-D matrix [N, C], got shape (${shape.join(', ')})`, file);
    }
    const [n, c] = shape;
    if (n > MAX_DIM || c > MAX_DIM || c < 1) throw new ValidationError(`shape (${n}, ${c}) is not supported`, file);
    checkK(k, n * c, file);
    return { reader, n, c };
  } catch (err) {
    reader.close();
    throw err;
  }
}

function chunkRowsOf(opts: { chunkRows?: number }, c: number): number {
  const chunkRows = opts.chunkRows ?? Math.max(1, Math.floor(DEFAULT_CHUNK_VALUES / c));
  checkInt('chunkRows', chunkRows, 1, MAX_DIM);
  return chunkRows;
}

/** Streams a [N, C] float .npy file through TopKStreamSync in row chunks, on the calling thread. */
export function topkFileSync(file: string, k: number, opts: TopKFileOptions = {}): TopKFileResult {
  if (opts.out) checkOutputPath(opts.out);
  const { reader, n, c } = openLogits(file, k);
  try {
    const chunkRows = chunkRowsOf(opts, c);
    let read = 0;
    let select = 0;
    // A second pass, without the estimate, only when it was not proven (createNativeStream).
    for (const expectedRows of [n, 0]) {
      const stream = new TopKStreamSync(c, k, { ...opts, file }, expectedRows);
      let t0 = now();
      for (const { count, data } of reader.rowChunks(chunkRows)) {
        read += now() - t0;
        t0 = now();
        stream.push(data as Float32Array | Float64Array, count);
        select += now() - t0;
        t0 = now();
      }
      if (expectedRows > 0 && stream.unproven) continue;
      t0 = now();
      const pairs = stream.finish();
      select += now() - t0;
      return finishFile(pairs, n, c, read, select, opts.out);
    }
    throw new Error('internal: top-K second pass was not final');
  } finally {
    reader.close();
  }
}

/** Pushes every row of the file into `stream`, reading the next chunk while the last is selected. */
async function pushFile(reader: NpyReader, stream: TopKStream, n: number, chunkRows: number, time: { read: number; select: number }): Promise<void> {
  let pending: Promise<void> = Promise.resolve();
  // Two slots: the chunk being read never overwrites the one being pushed.
  const chunks = reader.rowChunks(chunkRows, 2);
  try {
    for (let start = 0; start < n; ) {
      const t0 = now();
      const { count, data } = chunks.next().value as { count: number; data: Float32Array | Float64Array };
      time.read += now() - t0;
      await pending;
      const t1 = now();
      pending = stream.push(data, count).then(() => {
        time.select += now() - t1;
      });
      start += count;
    }
    await pending;
  } finally {
    await pending.catch(() => undefined);
    chunks.return(undefined); // its buffers go back only once no push reads them
  }
}

/**
 * Streams a [N, C] float .npy file through TopKStream in row chunks, selecting
 * off the event loop. Chunks are read into two reused buffers in turn (a
 * pending push reads its rows in place), so reading the next chunk overlaps
 * the selection of this one.
 */
export async function topkFile(file: string, k: number, opts: TopKFileOptions = {}): Promise<TopKFileResult> {
  if (opts.out) checkOutputPath(opts.out);
  const { reader, n, c } = openLogits(file, k);
  try {
    const chunkRows = chunkRowsOf(opts, c);
    const time = { read: 0, select: 0 };
    // A second pass, without the estimate, only when it was not proven (createNativeStream).
    for (const expectedRows of [n, 0]) {
      const stream = new TopKStream(c, k, { ...opts, file }, expectedRows);
      await pushFile(reader, stream, n, chunkRows, time);
      if (expectedRows > 0 && stream.unproven) continue;
      const t0 = now();
      const pairs = await stream.finish();
      time.select += now() - t0;
      return finishFile(pairs, n, c, time.read, time.select, opts.out);
    }
    throw new Error('internal: top-K second pass was not final');
  } finally {
    reader.close();
  }
}
