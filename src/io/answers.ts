/**
 * Crowd answers in, as compact arrays (question, worker, answer) for the
 * aggregation kernels. Two layouts:
 * - `raters.npz` (the ReaL release): a one-hot [R, Q, A] float tensor plus
 *   `info` [Q, 2] and `ids` [R]. It is streamed one rater at a time, so the
 *   dense tensor (377 MB for ReaL) is never held whole.
 * - long CSV or JSONL with crowd-kit's columns `task`, `worker`, `label`
 *   (a header is required; extra columns are ignored).
 * Bad rows are errors naming the file and line.
 */
import { FormatError, ValidationError } from '../errors';
import { DEFAULT_ALPHABET, type CompactAnswers, type Mode } from '../aggregate/problem';
import type { NdArray } from './npy';
import { readLabelStudio } from './label-studio';
import { NpzReader } from './npz';
import * as fs from 'node:fs';
import { cellText, readCsv } from './csv';
import { ByteInterner, Interner } from './interner';
import { BytePieces } from './text';
import { categoricalAlphabet } from './label-order';

export { categoricalAlphabet };

export type AnswerFormat = 'npz' | 'csv' | 'jsonl' | 'label-studio';
export type OnDuplicate = 'error' | 'first' | 'last';

export interface AnswerTable extends CompactAnswers {
  file: string;
  format: AnswerFormat;
  /** Question names in index order (npz: `FILE:label` from `info`). */
  tasks: string[];
  /** Worker names in index order (npz: the rater ids). */
  workers: string[];
  /** npz only: the `info` array [Q, 2] (file name, label), kept for output files. */
  info?: NdArray;
  /** Source line (CSV/JSONL) of each answer; npz: rater row. */
  lines?: Int32Array;
}

export interface ReadAnswersOptions {
  /** Default: verification for npz, categorical for CSV/JSONL. */
  mode?: Mode;
  /** Verification: the ordered answer values (default no, maybe, yes). Categorical: a fixed label set. */
  alphabet?: string[];
  onDuplicate?: OnDuplicate;
  format?: AnswerFormat;
  /** Known workers: answers by anyone else are an error (gold answers must come from known raters). */
  knownWorkers?: string[];
}

/**
 * Re-indexes a table's workers onto `known` (e.g. gold answers onto the main
 * answers' raters); a worker not in `known` is an error naming the file.
 */
export function withKnownWorkers(table: AnswerTable, known: string[]): AnswerTable {
  const index = indexOf(known);
  const map = table.workers.map((id) => {
    const w = index.get(id);
    if (w === undefined) {
      const what = table.format === 'npz' ? `rater id ${id}` : `worker '${id}'`;
      throw new ValidationError(`${what} is not among the raters of the main answers`, table.file);
    }
    return w;
  });
  return { ...table, worker: Int32Array.from(table.worker, (w) => map[w]), numWorkers: known.length, workers: known.slice() };
}

/** The format of an answers file, from its extension. */
export function answerFormat(file: string): AnswerFormat {
  const lower = file.toLowerCase();
  if (lower.endsWith('.npz')) return 'npz';
  if (lower.endsWith('.jsonl') || lower.endsWith('.ndjson')) return 'jsonl';
  if (lower.endsWith('.csv')) return 'csv';
  if (lower.endsWith('.json')) return 'label-studio';
  throw new FormatError('unknown answers format (expected .npz, .csv, .jsonl or a Label Studio .json export)', file);
}

/** The default mode of a format: verification for raters.npz and Label Studio (IMAGE:LABEL questions), categorical for long tables. */
export function defaultMode(format: AnswerFormat): Mode {
  return format === 'npz' || format === 'label-studio' ? 'verification' : 'categorical';
}

export async function readAnswers(file: string, opts: ReadAnswersOptions = {}): Promise<AnswerTable> {
  const format = opts.format ?? answerFormat(file);
  if (format === 'npz') return readRatersNpz(file, opts);
  const rows = format === 'csv' ? await readCsvRows(file) : format === 'label-studio' ? internRows(readLabelStudio(file)) : await readJsonlRows(file);
  return buildTable(file, format, rows, opts);
}

// ---------------------------------------------------------------- raters.npz

/** Streams a `raters.npz`-layout file into compact answers. */
export async function readRatersNpz(file: string, opts: ReadAnswersOptions = {}): Promise<AnswerTable> {
  const reader = NpzReader.open(file);
  try {
    for (const name of ['tensor', 'info', 'ids']) {
      if (!reader.has(name)) throw new FormatError(`has no array '${name}' (the raters.npz layout needs tensor, info and ids)`, file);
    }
    // Headers come from the async (native zlib) streams: the sync path would inflate with fflate.
    const ids = await reader.readAsync('ids');
    if (ids.shape.length !== 1) throw new FormatError(`ids must be 1-D, got shape (${ids.shape.join(', ')})`, file);
    if (Array.isArray(ids.data) || ids.dtype[0] === 'f') throw new FormatError(`ids must be integers, got dtype '${ids.dtype}'`, file);
    const R = ids.shape[0];
    const workers = Array.from(ids.data as ArrayLike<number | bigint>, (v) => String(v));
    checkUniqueIds(file, workers);
    const known = opts.knownWorkers ? indexOf(opts.knownWorkers) : null;
    const workerIndex = workers.map((id, r) => {
      if (!known) return r;
      const w = known.get(id);
      if (w === undefined) throw new ValidationError(`rater id ${id} (row ${r} of ids) is not among the known raters`, file);
      return w;
    });
    const info = await reader.readAsync('info');
    if (info.shape.length !== 2 || !Array.isArray(info.data)) {
      throw new FormatError(`info must be a 2-D string array (questions, 2), got ${info.dtype} (${info.shape.join(', ')})`, file);
    }
    const Q = info.shape[0];
    const cols = info.shape[1];
    const names = info.data as string[];
    const tasks = new Array<string>(Q);
    for (let q = 0; q < Q; q++) tasks[q] = cols >= 2 ? `${names[q * cols]}:${names[q * cols + 1]}` : names[q * cols];
    // Room for 8 answers per question (ReaL has 5): regrowing copies fresh memory, costly here.
    const out = new Builder(Math.max(1024, Q * 8));
    let alphabet: string[] = [];
    let rows = 0;
    for await (const { start, rows: chunk } of reader.chunksAsync('tensor', 1, { reuse: true })) {
      const [count, q, A] = chunk.shape;
      if (chunk.shape.length !== 3 || q !== Q || start >= R) {
        throw new FormatError(`tensor must have shape (${R}, ${Q}, answers) to match ids and info, got rows of shape (${chunk.shape.slice(1).join(', ')})`, file);
      }
      if (Array.isArray(chunk.data)) throw new FormatError(`tensor must be numeric, got dtype '${chunk.dtype}'`, file);
      if (start === 0) alphabet = npzAlphabet(file, A, opts);
      for (let r = start; r < start + count; r++) {
        scanOneHot(file, chunk.data as ArrayLike<number | bigint>, r, Q, A, workerIndex[r], out, (r - start) * Q * A);
      }
      rows = start + count;
    }
    if (rows !== R) throw new FormatError(`tensor has ${rows} rater rows but ids has ${R}`, file);
    if (R === 0) alphabet = (opts.alphabet ?? DEFAULT_ALPHABET).slice();
    return {
      // Rater-major as streamed; grouped by question (stable) for the kernels.
      ...groupByQuestion(out.finish(false), Q),
      numQuestions: Q,
      numWorkers: known ? opts.knownWorkers!.length : R,
      alphabet,
      file,
      format: 'npz',
      tasks,
      workers: known ? opts.knownWorkers!.slice() : workers,
      info,
    };
  } finally {
    reader.close();
  }
}

function npzAlphabet(file: string, A: number, opts: ReadAnswersOptions): string[] {
  if (opts.alphabet) {
    if (opts.alphabet.length !== A) throw new ValidationError(`tensor has ${A} answer values but the alphabet ${opts.alphabet.length}`, file);
    return opts.alphabet.slice();
  }
  if (A === 3) return DEFAULT_ALPHABET.slice();
  if (A === 2) return ['no', 'yes'];
  return Array.from({ length: A }, (_, a) => String(a));
}

function checkUniqueIds(file: string, ids: string[]): void {
  const seen = new Map<string, number>();
  ids.forEach((id, r) => {
    const first = seen.get(id);
    if (first !== undefined) throw new ValidationError(`rater id ${id} appears twice in ids (rows ${first} and ${r})`, file);
    seen.set(id, r);
  });
}

/** Collects the answers of one rater row; every (rater, question) must be all-zero or one-hot. */
function scanOneHot(file: string, d: ArrayLike<number | bigint>, r: number, Q: number, A: number, w: number, out: Builder, base: number): void {
  if (A === 3 && d instanceof Float64Array) {
    scanOneHot3(file, d.subarray(base, base + Q * 3), r, Q, w, out);
    return;
  }
  for (let q = 0, at = base; q < Q; q++, at += A) {
    let hot = -1;
    for (let a = 0; a < A; a++) {
      const v = Number(d[at + a]); // int64 tensors hold bigints
      if (v === 0) continue;
      if (v !== 1 || hot >= 0) notOneHot(file, d, r, q, A, base);
      hot = a;
    }
    if (hot >= 0) out.push(q, w, hot, r);
  }
}

/** The common case (float64, no/maybe/yes), kept monomorphic for speed. */
function scanOneHot3(file: string, d: Float64Array, r: number, Q: number, w: number, out: Builder): void {
  for (let q = 0, at = 0; q < Q; q++, at += 3) {
    const v0 = d[at];
    const v1 = d[at + 1];
    const v2 = d[at + 2];
    if (v0 === 0 && v1 === 0 && v2 === 0) continue;
    const s = v0 + v1 + v2;
    if (s !== 1 || (v0 !== 0 && v0 !== 1) || (v1 !== 0 && v1 !== 1) || (v2 !== 0 && v2 !== 1)) notOneHot(file, d, r, q, 3, 0);
    out.push(q, w, v0 === 1 ? 0 : v1 === 1 ? 1 : 2, r);
  }
}

function notOneHot(file: string, d: ArrayLike<number | bigint>, r: number, q: number, A: number, base: number): never {
  const vals = Array.from({ length: A }, (_, j) => d[base + q * A + j]).join(', ');
  throw new FormatError(`tensor[${r}, ${q}] = (${vals}) is not a one-hot answer`, file);
}

// ---------------------------------------------------------------- CSV / JSONL

/**
 * Rows as read, each name interned on first sight (so a task's index is the
 * order of its first row, as in the table): the columns hold indices into
 * `tasks`, `workers` and `labels`.
 */
class RawRows<I extends { names: string[] }> {
  readonly tasks: I;
  readonly workers: I;
  readonly labels: I;
  readonly cols: Builder;

  /** `capacity`: rows expected (a bound from the file size spares regrowing). */
  constructor(interner: () => I, capacity: number) {
    this.tasks = interner();
    this.workers = interner();
    this.labels = interner();
    this.cols = new Builder(Math.max(1024, capacity));
  }
}

/** Rows given as parallel string lists (a Label Studio export). */
function internRows(r: { task: string[]; worker: string[]; label: string[]; line: number[] }): RawRows<Interner> {
  const rows = new RawRows(() => new Interner(), r.task.length);
  for (let i = 0; i < r.task.length; i++) rows.cols.push(rows.tasks.id(r.task[i]), rows.workers.id(r.worker[i]), rows.labels.id(r.label[i]), r.line[i]);
  return rows;
}

/** At most one row per this many bytes ("a,b,c" and a line break). */
const MIN_ROW_BYTES = 6;

function rowBound(file: string): number {
  try {
    return Math.min(2 ** 27, Math.ceil(fs.statSync(file).size / MIN_ROW_BYTES));
  } catch {
    return 0; // the reader reports the problem
  }
}

const FIELDS = ['task', 'worker', 'label'] as const;

/** Lets other work run between pieces of a long read (reading stays synchronous per piece). */
const breathe = () => new Promise<void>((resolve) => setImmediate(resolve));

async function readCsvRows(file: string): Promise<RawRows<ByteInterner>> {
  const rows = new RawRows(() => new ByteInterner(), rowBound(file));
  let idx: number[] | null = null;
  await readCsv(file, (r) => {
    if (!idx) {
      const header = Array.from({ length: r.count }, (_, i) => cellText(r, i));
      idx = FIELDS.map((f) => header.indexOf(f));
      const missing = FIELDS.filter((_, j) => idx![j] < 0);
      if (missing.length) {
        throw new FormatError(`line ${r.line}: the header lacks column${missing.length > 1 ? 's' : ''} ${missing.map((m) => `'${m}'`).join(', ')} (need task, worker, label)`, file);
      }
      return;
    }
    const [t, w, l] = idx;
    if (t >= r.count || r.from[t] === r.to[t]) missingField(file, r.line, 'task');
    if (w >= r.count || r.from[w] === r.to[w]) missingField(file, r.line, 'worker');
    if (l >= r.count || r.from[l] === r.to[l]) missingField(file, r.line, 'label');
    rows.cols.push(
      rows.tasks.idOf(r.bytes[t], r.from[t], r.to[t]),
      rows.workers.idOf(r.bytes[w], r.from[w], r.to[w]),
      rows.labels.idOf(r.bytes[l], r.from[l], r.to[l]),
      r.line,
    );
  });
  if (!idx) throw new FormatError('is empty (a header task,worker,label is required)', file);
  return rows;
}

function utf8(b: Buffer, from: number, to: number): string {
  return b.toString('utf8', from, to);
}

function missingField(file: string, line: number, field: string): never {
  throw new FormatError(`line ${line}: missing field '${field}'`, file);
}

async function readJsonlRows(file: string): Promise<RawRows<Interner>> {
  const rows = new RawRows(() => new Interner(), rowBound(file) / 4);
  let line = 0;
  const take = (text: string) => {
    const v = jsonlRow(file, text, ++line);
    if (v) rows.cols.push(rows.tasks.id(v[0]), rows.workers.id(v[1]), rows.labels.id(v[2]), line);
  };
  // Pieces end at line breaks (only the last may not).
  const pieces = new BytePieces(file);
  for (let b = pieces.next(); b; b = pieces.next()) {
    let from = 0;
    for (let nl = b.indexOf(10); nl >= 0; nl = b.indexOf(10, from)) {
      take(utf8(b, from, nl));
      from = nl + 1;
    }
    if (from < b.length) take(utf8(b, from, b.length));
    await breathe();
  }
  return rows;
}

/** One JSONL line's (task, worker, label), or null for a blank line. */
function jsonlRow(file: string, text: string, n: number): [string, string, string] | null {
  if (text.trim() === '') return null;
  let obj: unknown;
  try {
    obj = JSON.parse(text);
  } catch (err) {
    throw new FormatError(`line ${n}: not valid JSON (${(err as Error).message})`, file);
  }
  if (obj === null || typeof obj !== 'object' || Array.isArray(obj)) throw new FormatError(`line ${n}: expected a JSON object`, file);
  const o = obj as Record<string, unknown>;
  return [jsonField(file, n, o, 'task'), jsonField(file, n, o, 'worker'), jsonField(file, n, o, 'label')];
}

function jsonField(file: string, n: number, o: Record<string, unknown>, f: string): string {
  const v = o[f];
  if (v === undefined || v === null || v === '') missingField(file, n, f);
  if (typeof v === 'string') return v;
  if (typeof v === 'number' && Number.isFinite(v)) return String(v);
  if (typeof v === 'boolean') return String(v); // {"label": true}: the label 'true', as in a CSV
  throw new FormatError(`line ${n}: field '${f}' must be a string, a number or true/false`, file);
}

function buildTable(file: string, format: AnswerFormat, rows: RawRows<{ names: string[] }>, opts: ReadAnswersOptions): AnswerTable {
  const mode = opts.mode ?? defaultMode(format);
  const alphabet = opts.alphabet ?? (mode === 'verification' ? DEFAULT_ALPHABET : categoricalAlphabet(rows.labels.names));
  const labelIndex = indexOf(alphabet);
  const answerOf = rows.labels.names.map((l) => labelIndex.get(l) ?? -1);
  // Without known workers, first-appearance order is already the table's order.
  const known = opts.knownWorkers ? indexOf(opts.knownWorkers) : null;
  const workerOf = known ? rows.workers.names.map((w) => known.get(w) ?? -1) : null;
  // Raw ids become table indices in place.
  const out = rows.cols.finish();
  const n = out.question.length;
  for (let i = 0; i < n; i++) {
    const a = answerOf[out.answer[i]];
    if (a < 0) {
      throw new ValidationError(`line ${out.lines[i]}: label '${rows.labels.names[out.answer[i]]}' is not in the alphabet (${alphabet.join(', ')})`, file);
    }
    const w = workerOf ? workerOf[out.worker[i]] : out.worker[i];
    if (w < 0) throw new ValidationError(`line ${out.lines[i]}: worker '${rows.workers.names[out.worker[i]]}' is not among the known workers`, file);
    out.answer[i] = a;
    out.worker[i] = w;
  }
  const numWorkers = known ? known.size : rows.workers.names.length;
  const workers = known ? [...known.keys()] : rows.workers.names;
  const names = { task: (i: number) => rows.tasks.names[out.question[i]], worker: (i: number) => workers[out.worker[i]] };
  const compact = resolveDuplicates(file, out, rows.tasks.names.length, numWorkers, opts.onDuplicate ?? 'error', names, format);
  return {
    ...compact,
    numQuestions: rows.tasks.names.length,
    numWorkers,
    alphabet: alphabet.slice(),
    file,
    format,
    tasks: rows.tasks.names.slice(),
    workers: workers.slice(),
  };
}

type Compact = { question: Int32Array; worker: Int32Array; answer: Int32Array; lines: Int32Array };

/**
 * Finds answers to the same (task, worker) by a counting sort on worker then
 * task (no hash of pairs). 'error' reports the earliest repeated line.
 */
function resolveDuplicates(
  file: string,
  c: Compact,
  Q: number,
  W: number,
  policy: OnDuplicate,
  names: { task(i: number): string; worker(i: number): string },
  format: AnswerFormat,
): Compact {
  const n = c.question.length;
  const byWorker = countingOrder(c.worker, W, null);
  const order = countingOrder(c.question, Q, byWorker);
  const drop = new Uint8Array(n);
  let firstBad = -1;
  let firstBadOf = -1;
  for (let s = 0; s < n; ) {
    let e = s + 1;
    while (e < n && c.question[order[e]] === c.question[order[s]] && c.worker[order[e]] === c.worker[order[s]]) e++;
    if (e - s > 1) {
      // Within a run the rows are in file order (both sorts are stable).
      if (policy === 'error') {
        if (firstBad < 0 || order[s + 1] < firstBad) {
          firstBad = order[s + 1];
          firstBadOf = order[s];
        }
      } else {
        const keep = policy === 'first' ? order[s] : order[e - 1];
        for (let j = s; j < e; j++) if (order[j] !== keep) drop[order[j]] = 1;
      }
    }
    s = e;
  }
  if (firstBad >= 0) {
    const unit = format === 'npz' ? 'row' : 'line';
    throw new ValidationError(
      `line ${c.lines[firstBad]}: worker '${names.worker(firstBad)}' answered task '${names.task(firstBad)}' twice (first on ${unit} ${c.lines[firstBadOf]}; use \`onDuplicate\` first|last to keep one)`,
      file,
    );
  }
  if (policy === 'error' || !drop.includes(1)) return c;
  const out = new Builder(n);
  for (let i = 0; i < n; i++) if (!drop[i]) out.push(c.question[i], c.worker[i], c.answer[i], c.lines[i]);
  return out.finish();
}

/** The answers reordered by question, keeping their order within a question. */
function groupByQuestion(c: Compact, Q: number): Compact {
  const order = countingOrder(c.question, Q, null);
  const pick = (x: Int32Array) => {
    const y = new Int32Array(x.length);
    for (let j = 0; j < order.length; j++) y[j] = x[order[j]];
    return y;
  };
  return { question: pick(c.question), worker: pick(c.worker), answer: pick(c.answer), lines: pick(c.lines) };
}

/** Stable counting sort of `within` (or 0..n-1) by key. */
function countingOrder(key: Int32Array, buckets: number, within: Int32Array | null): Int32Array {
  const n = key.length;
  const start = new Int32Array(buckets + 1);
  for (let i = 0; i < n; i++) start[key[i] + 1]++;
  for (let b = 0; b < buckets; b++) start[b + 1] += start[b];
  const out = new Int32Array(n);
  for (let j = 0; j < n; j++) {
    const i = within ? within[j] : j;
    out[start[key[i]]++] = i;
  }
  return out;
}

function indexOf(names: string[]): Map<string, number> {
  const m = new Map<string, number>();
  names.forEach((s, i) => {
    if (!m.has(s)) m.set(s, i);
  });
  return m;
}

const MAX_ANSWERS = 2 ** 31 - 1;

/** Growable compact-answer arrays. */
class Builder {
  private q: Int32Array;
  private w: Int32Array;
  private a: Int32Array;
  private l: Int32Array;
  private n = 0;

  constructor(capacity: number) {
    this.q = new Int32Array(capacity);
    this.w = new Int32Array(capacity);
    this.a = new Int32Array(capacity);
    this.l = new Int32Array(capacity);
  }

  push(q: number, w: number, a: number, line: number): void {
    if (this.n === this.q.length) this.grow();
    this.q[this.n] = q;
    this.w[this.n] = w;
    this.a[this.n] = a;
    this.l[this.n++] = line;
  }

  private grow(): void {
    // Indices and line numbers are int32 (what the kernels take).
    if (this.q.length >= MAX_ANSWERS) throw new ValidationError(`more than ${MAX_ANSWERS} answers: not supported`);
    const cap = Math.min(this.q.length * 2, MAX_ANSWERS);
    const g = (x: Int32Array) => {
      const y = new Int32Array(cap);
      y.set(x);
      return y;
    };
    this.q = g(this.q);
    this.w = g(this.w);
    this.a = g(this.a);
    this.l = g(this.l);
  }

  /** `copy` false: views of the builder's arrays, for a caller that copies anyway. */
  finish(copy = true): Compact {
    const take = (x: Int32Array) => (copy ? x.slice(0, this.n) : x.subarray(0, this.n));
    return { question: take(this.q), worker: take(this.w), answer: take(this.a), lines: take(this.l) };
  }
}
