/**
 * Exact top-K selection over a whole [N, C] matrix: the K largest entries as
 * (image, label, value), best first, ties broken by the lower flat index
 * image*C + label. `logit` ranks raw values; `prob` ranks the per-row softmax
 * probability, computed fused as logit - logsumexp(row) (never materialised).
 * Native core when available, else the bit-identical TypeScript twin.
 */
import { rethrowNative, UnsupportedError, UsageError, ValidationError } from '../errors';
import { NpyReader } from '../io/npy';
import { pickNative, type Backend, type NativeAddon } from '../native/addon';
import { now } from '../util/timer';
import { kRangeMessage, TopKSelectorTs, type Criterion, type Pairs } from './topk-ts';

export type { Criterion, Pairs } from './topk-ts';

export interface TopKOptions {
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

/** The K best entries of the matrix `data` ([n, c], row-major). */
export function topk(data: Float32Array | Float64Array, n: number, c: number, k: number, opts: TopKOptions = {}): Pairs {
  checkData(data, 'data');
  checkInt('n', n, 0, MAX_DIM);
  checkInt('c', c, 1, MAX_DIM);
  if (data.length !== n * c) throw new UsageError(`data has ${data.length} values, expected n * c = ${n * c}`);
  checkK(k, n * c, opts.file);
  const criterion = criterionOf(opts);
  const threads = threadsOf(opts);
  const addon = pickNative(opts.backend);
  if (!addon) {
    const sel = new TopKSelectorTs(c, k, criterion, opts.file);
    sel.push(data, n);
    return sel.finish();
  }
  try {
    return addon.topkSelect(data, n, c, k, CRITERIA[criterion], threads) as Pairs;
  } catch (err) {
    return rethrowNative(err, opts.file);
  }
}

/** Top-K over rows pushed in chunks, keeping only O(K) state. */
export class TopKStream {
  private readonly addon: NativeAddon | null;
  private readonly handle: unknown;
  private readonly twin: TopKSelectorTs | null;
  private state: 'open' | 'failed' | 'finished' = 'open';
  private rows = 0;

  constructor(
    private readonly c: number,
    private readonly k: number,
    private readonly opts: TopKOptions = {},
  ) {
    checkInt('c', c, 1, MAX_DIM);
    checkInt('k', k, 1, Number.MAX_SAFE_INTEGER);
    const criterion = criterionOf(opts);
    const threads = threadsOf(opts);
    this.addon = pickNative(opts.backend);
    this.twin = this.addon ? null : new TopKSelectorTs(c, k, criterion, opts.file);
    this.handle = this.addon ? this.addon.topkStreamCreate(c, k, CRITERIA[criterion], threads) : null;
  }

  /** Rows pushed so far. */
  get rowsSeen(): number {
    return this.rows;
  }

  /** Consumes the first nRows rows of `rows` (row-major, c values each). */
  push(rows: Float32Array | Float64Array, nRows: number): void {
    this.checkOpen();
    checkData(rows, 'rows');
    checkInt('nRows', nRows, 0, MAX_DIM - this.rows);
    if (rows.length < nRows * this.c) {
      throw new UsageError(`rows has ${rows.length} values, expected at least nRows * c = ${nRows * this.c}`);
    }
    try {
      if (this.twin) this.twin.push(rows, nRows);
      else this.addon!.topkStreamPush(this.handle, rows, nRows);
    } catch (err) {
      this.state = 'failed';
      if (this.twin) throw err;
      rethrowNative(err, this.opts.file);
    }
    this.rows += nRows;
  }

  /** The K best of everything pushed, best first. */
  finish(): Pairs {
    this.checkOpen();
    this.state = 'finished';
    checkK(this.k, this.rows * this.c, this.opts.file);
    if (this.twin) return this.twin.finish();
    try {
      return this.addon!.topkStreamFinish(this.handle) as Pairs;
    } catch (err) {
      return rethrowNative(err, this.opts.file);
    }
  }

  private checkOpen(): void {
    if (this.state === 'failed') throw new UsageError('this top-K stream already failed');
    if (this.state === 'finished') throw new UsageError('this top-K stream is finished');
  }
}

const FLOAT_DTYPES = new Set(['f2', 'f4', 'f8']);
// 4 MB of float32 per chunk: read and select alike from 1 to 16 MB, and 4 MB stays in cache (docs/io.md).
const DEFAULT_CHUNK_VALUES = 1 << 20;

export interface TopKFileResult {
  pairs: Pairs;
  n: number;
  c: number;
  /** Milliseconds: reading and decoding the file, and selection alone. */
  timings: { read: number; select: number };
}

/** Streams a [N, C] float .npy file through TopKStream in row chunks. */
export function topkFile(file: string, k: number, opts: TopKOptions & { chunkRows?: number } = {}): TopKFileResult {
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
    const chunkRows = opts.chunkRows ?? Math.max(1, Math.floor(DEFAULT_CHUNK_VALUES / c));
    checkInt('chunkRows', chunkRows, 1, MAX_DIM);
    const stream = new TopKStream(c, k, { ...opts, file });
    let read = 0;
    let select = 0;
    let t0 = now();
    for (const { count, data } of reader.rowChunks(chunkRows)) {
      read += now() - t0;
      t0 = now();
      stream.push(data as Float32Array | Float64Array, count);
      select += now() - t0;
      t0 = now();
    }
    t0 = now();
    const pairs = stream.finish();
    select += now() - t0;
    return { pairs, n, c, timings: { read, select } };
  } finally {
    reader.close();
  }
}
