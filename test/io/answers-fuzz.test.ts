/**
 * Fuzz of the answers readers (CSV and JSONL, src/io/answers.ts) and of the
 * gold-truth table reader: generated tables with short rows, missing or
 * reordered columns, no header, duplicate (task, worker) answers, quoting,
 * BOMs and CRLF, then truncated at any byte or given invalid UTF-8.
 *
 * Every case is also read by a small reference implementation written here
 * from the documented format (fatal TextDecoder for UTF-8, a hand parser for
 * the quoting we generate). The library must return exactly the reference's
 * table, or throw a RealabelError naming the file and the same line.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import fc from 'fast-check';
import { RealabelError } from '../../src/errors';
import { readAnswers, type AnswerTable, type OnDuplicate } from '../../src/io/answers';
import { decodeUtf8 } from '../../src/io/utf8';
import { readGoldTruth } from '../../src/aggregate/truth';
import { tmpDir } from '../helpers/tmp';

const dir = tmpDir('realabel-answers-fuzz-');
const RUNS = Number(process.env.REALABEL_FUZZ_RUNS ?? 600);

type Outcome<T> = { ok: true; value: T } | { ok: false; error: RealabelError };

async function outcome<T>(fn: () => Promise<T>): Promise<Outcome<T>> {
  try {
    const value = await fn();
    return { ok: true, value };
  } catch (err) {
    if (!(err instanceof RealabelError)) throw new Error(`untyped error: ${(err as Error)?.stack ?? String(err)}`);
    return { ok: false, error: err };
  }
}

// ------------------------------------------------------------ reference: bytes → text

/** The first invalid byte's line (1-based), 'end' for a truncated last character, or null when valid UTF-8. */
function refUtf8Error(bytes: Uint8Array): { line: number } | null {
  const dec = () => new TextDecoder('utf-8', { fatal: true });
  const validPrefix = (p: number) => {
    try {
      dec().decode(bytes.subarray(0, p), { stream: true });
      return true;
    } catch {
      return false;
    }
  };
  const lineAt = (p: number) => 1 + bytes.subarray(0, p).reduce((n, b) => n + (b === 10 ? 1 : 0), 0);
  if (validPrefix(bytes.length)) {
    try {
      dec().decode(bytes);
      return null;
    } catch {
      return { line: lineAt(bytes.length) };
    }
  }
  // Smallest invalid prefix: its last byte is the first invalid one.
  let lo = 0;
  let hi = bytes.length;
  while (hi - lo > 1) {
    const mid = (lo + hi) >> 1;
    if (validPrefix(mid)) lo = mid;
    else hi = mid;
  }
  return { line: lineAt(hi - 1) };
}

/**
 * What a reader must do: return this table, or fail at this line (0: a
 * file-level error). `or`: an equally valid error, for files with invalid
 * UTF-8 and a parse error at or before that line (the readers stream, and
 * may meet either first).
 */
type Expected = { table: RefTable } | { errorLine: number; kind: RegExp; or?: { errorLine: number; kind: RegExp } };

interface RefTable {
  question: number[];
  worker: number[];
  answer: number[];
  lines: number[];
  tasks: string[];
  workers: string[];
  alphabet: string[];
}

interface RefRow {
  task: string;
  worker: string;
  label: string;
  line: number;
}

// ------------------------------------------------------------ reference: CSV

/**
 * RFC 4180 subset we generate: quoted cells hold no quotes or newlines;
 * unquoted cells are trimmed; blank lines are skipped. Records up to the
 * first unclosed quote, and that quote's line.
 */
function refCsvRecords(text: string): { records: Array<{ cells: string[]; line: number }>; errorLine?: number } {
  const records: Array<{ cells: string[]; line: number }> = [];
  const lines = text.split(/\r?\n/);
  for (let i = 0; i < lines.length; i++) {
    const raw = lines[i].replace(/\r$/, '');
    if (raw.trim() === '') continue;
    const cells: string[] = [];
    let pos = 0;
    for (;;) {
      while (raw[pos] === ' ') pos++;
      if (raw[pos] === '"') {
        const close = raw.indexOf('"', pos + 1);
        if (close < 0) return { records, errorLine: i + 1 };
        cells.push(raw.slice(pos + 1, close));
        pos = close + 1;
        while (raw[pos] === ' ') pos++;
      } else {
        const comma = raw.indexOf(',', pos);
        cells.push(raw.slice(pos, comma < 0 ? raw.length : comma).trim());
        pos = comma < 0 ? raw.length : comma;
      }
      if (pos >= raw.length) break;
      pos++; // the comma
      if (pos === raw.length) {
        cells.push('');
        break;
      }
    }
    records.push({ cells, line: i + 1 });
  }
  return { records };
}

const FIELDS = ['task', 'worker', 'label'] as const;

function refCsvRows(text: string): { rows: RefRow[] } | { errorLine: number; kind: RegExp } {
  // Problems in file order: records before an unclosed quote are checked first.
  const parsed = refCsvRecords(text);
  const quote = parsed.errorLine ? { errorLine: parsed.errorLine, kind: /not valid CSV/ } : undefined;
  if (parsed.records.length === 0) return quote ?? { errorLine: 0, kind: /is empty/ };
  const [header, ...data] = parsed.records;
  const idx = FIELDS.map((f) => header.cells.indexOf(f));
  if (idx.some((j) => j < 0)) return { errorLine: header.line, kind: /the header lacks column/ };
  const rows: RefRow[] = [];
  for (const r of data) {
    const vals = idx.map((j) => r.cells[j]);
    const missing = vals.findIndex((v) => v === undefined || v === '');
    if (missing >= 0) return { errorLine: r.line, kind: new RegExp(`missing field '${FIELDS[missing]}'`) };
    rows.push({ task: vals[0], worker: vals[1], label: vals[2], line: r.line });
  }
  return quote ?? { rows };
}

// ------------------------------------------------------------ reference: JSONL

function refJsonlRows(text: string): { rows: RefRow[] } | { errorLine: number; kind: RegExp } {
  const rows: RefRow[] = [];
  const lines = text.split(/\r?\n/);
  if (lines[lines.length - 1] === '') lines.pop();
  for (let i = 0; i < lines.length; i++) {
    const line = i + 1;
    if (lines[i].trim() === '') continue;
    let obj: unknown;
    try {
      obj = JSON.parse(lines[i]);
    } catch {
      return { errorLine: line, kind: /not valid JSON/ };
    }
    if (obj === null || typeof obj !== 'object' || Array.isArray(obj)) return { errorLine: line, kind: /expected a JSON object/ };
    const vals: string[] = [];
    for (const f of FIELDS) {
      const v = (obj as Record<string, unknown>)[f];
      if (v === undefined || v === null || v === '') return { errorLine: line, kind: new RegExp(`missing field '${f}'`) };
      if (typeof v === 'string') vals.push(v);
      else if (typeof v === 'number' || typeof v === 'boolean') vals.push(String(v));
      else return { errorLine: line, kind: new RegExp(`field '${f}' must be a string, a number or true/false`) };
    }
    rows.push({ task: vals[0], worker: vals[1], label: vals[2], line });
  }
  return { rows };
}

// ------------------------------------------------------------ reference: rows → table

function refAlphabet(labels: string[]): string[] {
  const uniq = [...new Set(labels)];
  // Decimal numbers (integers, decimals, exponents) order by value, as pandas does.
  if (uniq.every((s) => /^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$/.test(s) && Number.isFinite(Number(s)))) return uniq.sort((a, b) => Number(a) - Number(b) || (a < b ? -1 : a > b ? 1 : 0));
  return uniq.sort();
}

function refTable(rows: RefRow[], mode: 'categorical' | 'verification', onDuplicate: OnDuplicate): Expected {
  const alphabet = mode === 'verification' ? ['no', 'maybe', 'yes'] : refAlphabet(rows.map((r) => r.label));
  const bad = rows.find((r) => !alphabet.includes(r.label));
  if (bad) return { errorLine: bad.line, kind: /is not in the alphabet/ };
  const first = new Map<string, number>();
  const last = new Map<string, number>();
  rows.forEach((r, i) => {
    const key = JSON.stringify([r.task, r.worker]);
    if (onDuplicate === 'error' && first.has(key)) throw Object.assign(new Error('dup'), { dup: i });
    if (!first.has(key)) first.set(key, i);
    last.set(key, i);
  });
  const tasks = [...new Set(rows.map((r) => r.task))];
  const workers = [...new Set(rows.map((r) => r.worker))];
  const taskIndex = new Map(tasks.map((t, i) => [t, i]));
  const workerIndex = new Map(workers.map((w, i) => [w, i]));
  const table: RefTable = { question: [], worker: [], answer: [], lines: [], tasks, workers, alphabet };
  rows.forEach((r, i) => {
    const key = JSON.stringify([r.task, r.worker]);
    const keep = onDuplicate === 'last' ? last.get(key) === i : first.get(key) === i;
    if (!keep) return;
    table.question.push(taskIndex.get(r.task)!);
    table.worker.push(workerIndex.get(r.worker)!);
    table.answer.push(alphabet.indexOf(r.label));
    table.lines.push(r.line);
  });
  return { table };
}

function expectedFor(bytes: Uint8Array, format: 'csv' | 'jsonl', mode: 'categorical' | 'verification', onDuplicate: OnDuplicate): Expected {
  const utf8 = refUtf8Error(bytes);
  const text = new TextDecoder('utf-8').decode(bytes); // drops a BOM, like both readers; U+FFFD for bad bytes
  const parsed = format === 'csv' ? refCsvRows(text) : refJsonlRows(text);
  if (utf8) {
    const early = 'errorLine' in parsed && parsed.errorLine > 0 && parsed.errorLine <= utf8.line ? parsed : undefined;
    return { errorLine: utf8.line, kind: /not valid UTF-8/, or: early };
  }
  if ('errorLine' in parsed) return parsed;
  try {
    return refTable(parsed.rows, mode, onDuplicate);
  } catch (e) {
    const i = (e as { dup?: number }).dup;
    if (i === undefined) throw e;
    return { errorLine: parsed.rows[i].line, kind: /answered task .* twice \(first on line \d+/ };
  }
}

function agrees(got: Outcome<AnswerTable>, want: Expected, file: string): void {
  if ('table' in want) {
    if (!got.ok) throw new Error(`expected a table, got: ${got.error.message}`);
    const t = got.value;
    expect({
      question: Array.from(t.question),
      worker: Array.from(t.worker),
      answer: Array.from(t.answer),
      lines: Array.from(t.lines ?? []),
      tasks: t.tasks,
      workers: t.workers,
      alphabet: t.alphabet,
    }).toEqual(want.table);
    expect(t.numQuestions).toBe(want.table.tasks.length);
    expect(t.numWorkers).toBe(want.table.workers.length);
    return;
  }
  if (got.ok) throw new Error(`expected an error at line ${want.errorLine} (${want.kind}), got a table of ${got.value.question.length} answers`);
  expectError(got.error.message, file, want);
}

/** The message names the file and the expected line and problem (or the alternative). */
function expectError(msg: string, file: string, want: { errorLine: number; kind: RegExp; or?: { errorLine: number; kind: RegExp } }): void {
  expect(msg.startsWith(`${file}: `)).toBe(true);
  expect(msg).not.toContain('\n');
  const matches = (w: { errorLine: number; kind: RegExp }) =>
    (w.errorLine === 0 || msg.slice(file.length + 2).startsWith(`line ${w.errorLine}: `)) && w.kind.test(msg);
  if (!matches(want) && !(want.or && matches(want.or))) {
    throw new Error(`expected line ${want.errorLine} ${want.kind}${want.or ? ` or line ${want.or.errorLine} ${want.or.kind}` : ''}, got: ${msg}`);
  }
}

// ------------------------------------------------------------ generators

const TASKS = ['t0', 't1', 't2', 't,3', 'ü4'];
const WORKERS = ['w0', 'w1', 'w2', 'ω3'];
const LABELS = ['0', '1', '2', '10', 'no', 'maybe', 'yes'];
const INVALID = [[0xff], [0xc0, 0x41], [0x80], [0xed, 0xa0, 0x80], [0xf4, 0x90, 0x80, 0x80], [0xe2, 0x82], [0xc3]];

/** A byte-level corruption of a generated file. */
const corruption = fc.oneof(
  { weight: 3, arbitrary: fc.constant({ kind: 'none' as const, at: 0, bytes: [] as number[] }) },
  { weight: 3, arbitrary: fc.record({ kind: fc.constant('truncate' as const), at: fc.double({ min: 0, max: 1, noNaN: true }), bytes: fc.constant([] as number[]) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('insert' as const), at: fc.double({ min: 0, max: 1, noNaN: true }), bytes: fc.constantFrom(...INVALID) }) },
);

function corrupt(b: Buffer, c: { kind: 'none' | 'truncate' | 'insert'; at: number; bytes: number[] }): Buffer {
  const at = Math.min(b.length, Math.floor(c.at * (b.length + 1)));
  if (c.kind === 'truncate') return b.subarray(0, at);
  if (c.kind === 'insert') return Buffer.concat([b.subarray(0, at), Buffer.from(c.bytes), b.subarray(at)]);
  return b;
}

const layout = fc.record({
  bom: fc.boolean(),
  crlf: fc.boolean(),
  trailingNewline: fc.boolean(),
  blankEvery: fc.integer({ min: 0, max: 5 }), // 0: no blank lines
});

function assemble(lines: string[], l: { bom: boolean; crlf: boolean; trailingNewline: boolean; blankEvery: number }): Buffer {
  const withBlanks = l.blankEvery ? lines.flatMap((s, i) => (i > 0 && i % l.blankEvery === 0 ? ['', s] : [s])) : lines;
  const eol = l.crlf ? '\r\n' : '\n';
  const text = withBlanks.join(eol) + (l.trailingNewline && withBlanks.length ? eol : '');
  return Buffer.from((l.bom ? '\uFEFF' : '') + text, 'utf8');
}

/** A cell as written: quoted when it holds a comma (or by choice), else maybe padded with spaces. */
const cellText = (v: string, quote: boolean, pad: boolean) => (v !== '' && (quote || v.includes(',')) ? `"${v}"` : pad ? ` ${v} ` : v);

const csvCase = fc.record({
  header: fc.oneof(
    { weight: 6, arbitrary: fc.shuffledSubarray(['task', 'worker', 'label', 'note'], { minLength: 3, maxLength: 4 }) },
    { weight: 1, arbitrary: fc.shuffledSubarray(['task', 'worker', 'label', 'note'], { minLength: 1, maxLength: 4 }) },
  ),
  noHeader: fc.oneof({ weight: 4, arbitrary: fc.constant(false) }, { weight: 1, arbitrary: fc.constant(true) }),
  rows: fc.array(
    fc.record({
      task: fc.constantFrom(...TASKS, ''),
      worker: fc.constantFrom(...WORKERS, ''),
      label: fc.constantFrom(...LABELS, ''),
      cut: fc.oneof({ weight: 8, arbitrary: fc.constant(0) }, { weight: 1, arbitrary: fc.integer({ min: 1, max: 3 }) }),
      quote: fc.boolean(),
      pad: fc.boolean(),
    }),
    { maxLength: 12 },
  ),
  layout,
  corruption,
  mode: fc.constantFrom('categorical' as const, 'verification' as const),
  onDuplicate: fc.constantFrom('error' as const, 'first' as const, 'last' as const),
});

type CsvCase = typeof csvCase extends fc.Arbitrary<infer T> ? T : never;
type JsonlCase = typeof jsonlCase extends fc.Arbitrary<infer T> ? T : never;

function csvBytes(c: CsvCase): Buffer {
  const lines: string[] = [];
  if (!c.noHeader) lines.push(c.header.join(','));
  for (const r of c.rows) {
    const vals = c.header.map((h) => (h === 'note' ? 'x' : (r as unknown as Record<string, string>)[h]));
    const cells = vals.slice(0, Math.max(0, vals.length - r.cut)).map((v) => cellText(v, r.quote, r.pad));
    lines.push(cells.join(','));
  }
  return corrupt(assemble(lines, c.layout), c.corruption);
}

const jsonValue = fc.oneof(
  { weight: 10, arbitrary: fc.constant('pool') },
  { weight: 1, arbitrary: fc.constantFrom(null, '', true, 1, 2.5, 1e21, { a: 1 }, [1], -0) },
);

const jsonlCase = fc.record({
  rows: fc.array(
    fc.oneof(
      { weight: 10, arbitrary: fc.record({ task: jsonValue, worker: jsonValue, label: jsonValue, t: fc.constantFrom(...TASKS), w: fc.constantFrom(...WORKERS), l: fc.constantFrom(...LABELS, 1, 2), drop: fc.constantFrom(null, 'task', 'worker', 'label'), extra: fc.boolean() }) },
      { weight: 1, arbitrary: fc.constantFrom('{', 'null', '[1,2]', '"x"', '42', '{"task": "t0",}', 'garbage') },
    ),
    { maxLength: 12 },
  ),
  layout,
  corruption,
  mode: fc.constantFrom('categorical' as const, 'verification' as const),
  onDuplicate: fc.constantFrom('error' as const, 'first' as const, 'last' as const),
});

function jsonlBytes(c: JsonlCase): Buffer {
  const lines = c.rows.map((r) => {
    if (typeof r === 'string') return r;
    const obj: Record<string, unknown> = {};
    if (r.extra) obj.note = 'x';
    obj.task = r.task === 'pool' ? r.t : r.task;
    obj.worker = r.worker === 'pool' ? r.w : r.worker;
    obj.label = r.label === 'pool' ? r.l : r.label;
    if (r.drop) delete obj[r.drop];
    return JSON.stringify(obj);
  });
  return corrupt(assemble(lines, c.layout), c.corruption);
}

// ------------------------------------------------------------ properties

let fileNo = 0;
function writeCase(ext: string, bytes: Uint8Array): string {
  const f = path.join(dir, `case${fileNo++ % 8}.${ext}`);
  fs.writeFileSync(f, bytes);
  return f;
}

describe('fuzz: answers CSV', () => {
  it('every generated or corrupted CSV reads as the reference table or fails at the reference line', async () => {
    await fc.assert(
      fc.asyncProperty(csvCase, async (c) => {
        const bytes = csvBytes(c);
        const f = writeCase('csv', bytes);
        const got = await outcome(() => readAnswers(f, { mode: c.mode, onDuplicate: c.onDuplicate }));
        agrees(got, expectedFor(bytes, 'csv', c.mode, c.onDuplicate), f);
      }),
      { numRuns: RUNS },
    );
  });

  it('truncation at every byte of one table', async () => {
    const text = 'task,worker,label,note\nt0,w0,yes,x\n"t,3",ω3,no,"a,b"\nü4 , w1 ,maybe,\r\nt0,w1,yes,y\n';
    const full = Buffer.from(text);
    for (let cut = 0; cut <= full.length; cut++) {
      const bytes = full.subarray(0, cut);
      const f = writeCase('csv', bytes);
      const got = await outcome(() => readAnswers(f, { mode: 'verification' }));
      agrees(got, expectedFor(bytes, 'csv', 'verification', 'error'), f);
    }
  });

  it('the cases the issue names, with their messages', async () => {
    const cases: Array<[string, RegExp]> = [
      ['task,worker\nt0,w0\n', /: line 1: the header lacks column 'label'/],
      ['task,worker,label\nt0,w0\n', /: line 2: missing field 'label'/],
      ['t0,w0,yes\nt1,w0,no\n', /: line 1: the header lacks columns 'task', 'worker', 'label'/],
      ['task,worker,label\nt0,w0,yes\nt1,w0,no\nt0,w0,no\n', /: line 4: worker 'w0' answered task 't0' twice \(first on line 2;/],
      ['task,worker,label\nt0,"w0\n', /: line 2: not valid CSV/],
      ['', /: is empty/],
      ['task,worker,label\nt0,w\xff,yes\n', /: line 2: not valid UTF-8 \(byte 0xff\)/],
    ];
    for (const [text, re] of cases) {
      const f = writeCase('csv', Buffer.from(text, 'latin1'));
      const got = await outcome(() => readAnswers(f));
      expect(got.ok).toBe(false);
      if (!got.ok) expect(got.error.message).toMatch(new RegExp(`^${f.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}${re.source}`));
    }
  });
});

describe('answers read in 64 KiB chunks', () => {
  it('CRLF, 2- and 3-byte characters split across chunks, and a bad byte far in, give the right lines', async () => {
    const lines: string[] = [];
    let bytes = 0;
    const push = (...l: string[]) => l.forEach((x) => (lines.push(x), (bytes += Buffer.byteLength(x))));
    const size = () => bytes;
    push('task,worker,label\n');
    const row = (i: number, eol: string) => `t${i},w${i % 5},${i % 2 ? 'yes' : 'no'}${eol}`;
    for (let i = 0; size() < 65536 - 40; i++) push(row(i, '\r\n'));
    // A label long enough to reach the boundary, ending in CR (the LF starts the next chunk).
    const pad = 65536 - size() - 1 - Buffer.byteLength(`tx,w0,`);
    push(`tx,w0,${'y'.repeat(pad)}\r`, '\n');
    for (let i = 0; size() < 2 * 65536 - 40; i++) push(row(i + 5000, '\n'));
    const pad2 = 2 * 65536 - size() - 1 - Buffer.byteLength('tü,w0,');
    push(`tü,w0,${'z'.repeat(pad2)}ü\n`); // ü = C3 BC with C3 the last byte of chunk 2
    for (let i = 0; size() < 3 * 65536 - 40; i++) push(row(i + 9000, '\n'));
    const pad3 = 3 * 65536 - size() - 2 - Buffer.byteLength('t€,w0,');
    push(`t€,w0,${'q'.repeat(pad3)}€\n`); // € = E2 82 AC across the boundary
    for (let i = 0; i < 50; i++) push(row(i + 20000, i % 2 ? '\r\n' : '\n'));
    const full = Buffer.from(lines.join(''));
    expect(full[65535]).toBe(13);
    expect(full[65536]).toBe(10);
    expect(full[2 * 65536 - 1]).toBe(0xc3);
    expect(full.subarray(3 * 65536 - 2, 3 * 65536 + 1)).toEqual(Buffer.from('€'));
    const f = writeCase('csv', full);
    const got = await outcome(() => readAnswers(f, { mode: 'categorical' }));
    agrees(got, expectedFor(full, 'csv', 'categorical', 'error'), f);
    // A bad byte in the last chunk: the line counts every line before it.
    const bad = Buffer.concat([full, Buffer.from('t9,w9,\xfe\n', 'latin1')]);
    const g = writeCase('csv', bad);
    const err = await outcome(() => readAnswers(g));
    expect(err.ok).toBe(false);
    const lineNo = full.toString().split('\n').length;
    if (!err.ok) expect(err.error.message).toBe(`${g}: line ${lineNo}: not valid UTF-8 (byte 0xfe)`);
  });
});

describe('fuzz: answers JSONL', () => {
  it('every generated or corrupted JSONL reads as the reference table or fails at the reference line', async () => {
    await fc.assert(
      fc.asyncProperty(jsonlCase, async (c) => {
        const bytes = jsonlBytes(c);
        const f = writeCase('jsonl', bytes);
        const got = await outcome(() => readAnswers(f, { mode: c.mode, onDuplicate: c.onDuplicate }));
        agrees(got, expectedFor(bytes, 'jsonl', c.mode, c.onDuplicate), f);
      }),
      { numRuns: RUNS },
    );
  });

  it('truncation at every byte of one file', async () => {
    const full = Buffer.from('{"task":"t0","worker":"w0","label":"yes"}\r\n\n{"task":"ü4","worker":"ω3","label":2}\n{"task":"t0","worker":"w0","label":1}\n');
    for (let cut = 0; cut <= full.length; cut++) {
      const bytes = full.subarray(0, cut);
      const f = writeCase('jsonl', bytes);
      const got = await outcome(() => readAnswers(f));
      agrees(got, expectedFor(bytes, 'jsonl', 'categorical', 'error'), f);
    }
  });
});

describe('fuzz: UTF-8 decoding', () => {
  it('decodeUtf8 agrees with a fatal TextDecoder on random bytes, and names the line of the first bad byte', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 64 }), fc.array(fc.constantFrom(10, 0x41, 0xc3, 0xa9, 0xe2, 0x82, 0xac, 0xf0, 0x9f, 0x98, 0x80, 0xed, 0xa0), { maxLength: 40 }), (a, b) => {
        const bytes = Uint8Array.from([...b, ...a.slice(0, 8), ...b]);
        const want = refUtf8Error(bytes);
        try {
          const s = decodeUtf8(bytes, 'x.txt');
          expect(want).toBeNull();
          expect(s).toBe(new TextDecoder('utf-8', { fatal: true }).decode(bytes));
        } catch (err) {
          if (!(err instanceof RealabelError)) throw err;
          expect(want).not.toBeNull();
          expect(err.message).toMatch(new RegExp(`^x\\.txt: line ${want!.line}: not valid UTF-8`));
        }
      }),
      { numRuns: 3000 },
    );
  });
});

// ------------------------------------------------------------ gold truth tables (task, label)

type TruthWant = { truth: { tasks: string[]; truth: number[] } } | { errorLine: number; kind: RegExp; or?: { errorLine: number; kind: RegExp } };

/** Reference for a verification truth table: labels must be the alphabet's first or last value. */
function refTruth(bytes: Uint8Array, format: 'csv' | 'jsonl'): TruthWant {
  const utf8 = refUtf8Error(bytes);
  if (utf8) return { errorLine: utf8.line, kind: /not valid UTF-8/ };
  const text = new TextDecoder('utf-8').decode(bytes);
  let rows: Array<{ task: string; label: string; line: number }>;
  if (format === 'csv') {
    // The truth reader parses the whole text first: a quote error comes before anything else.
    const parsed = refCsvRecords(text);
    if (parsed.errorLine) return { errorLine: parsed.errorLine, kind: /not valid CSV/ };
    if (parsed.records.length === 0) return { errorLine: 0, kind: /is empty/ };
    const [header, ...data] = parsed.records;
    const ti = header.cells.indexOf('task');
    const li = header.cells.indexOf('label');
    if (ti < 0 || li < 0) return { errorLine: header.line, kind: /the header needs columns task and label/ };
    rows = [];
    for (const r of data) {
      if (!r.cells[ti]) return { errorLine: r.line, kind: /missing field 'task'/ };
      if (!r.cells[li]) return { errorLine: r.line, kind: /missing field 'label'/ };
      rows.push({ task: r.cells[ti], label: r.cells[li], line: r.line });
    }
  } else {
    rows = [];
    const lines = text.split(/\r?\n/);
    for (let i = 0; i < lines.length; i++) {
      if (lines[i].trim() === '') continue;
      let obj: any;
      try {
        obj = JSON.parse(lines[i]);
      } catch {
        return { errorLine: i + 1, kind: /not valid JSON/ };
      }
      if (obj === null || typeof obj !== 'object' || Array.isArray(obj)) return { errorLine: i + 1, kind: /expected a JSON object/ };
      for (const f of ['task', 'label']) {
        if (obj[f] === undefined || obj[f] === null || obj[f] === '') return { errorLine: i + 1, kind: new RegExp(`missing field '${f}'`) };
        if (typeof obj[f] !== 'string' && typeof obj[f] !== 'number' && typeof obj[f] !== 'boolean') return { errorLine: i + 1, kind: new RegExp(`field '${f}' must be a string, a number or true/false`) };
      }
      rows.push({ task: String(obj.task), label: String(obj.label), line: i + 1 });
    }
  }
  const seen = new Set<string>();
  const out = { tasks: [] as string[], truth: [] as number[] };
  for (const r of rows) {
    if (r.label !== 'no' && r.label !== 'yes') return { errorLine: r.line, kind: /truth '.*' is not one of no or yes/ };
    if (seen.has(r.task)) return { errorLine: r.line, kind: /has a truth already/ };
    seen.add(r.task);
    out.tasks.push(r.task);
    out.truth.push(r.label === 'yes' ? 1 : 0);
  }
  return { truth: out };
}

describe('fuzz: gold truth tables', () => {
  const truthCsv = fc.record({
    header: fc.shuffledSubarray(['task', 'label', 'note'], { minLength: 1, maxLength: 3 }),
    rows: fc.array(fc.record({ task: fc.constantFrom(...TASKS, ''), label: fc.constantFrom('no', 'yes', 'maybe', ''), cut: fc.integer({ min: 0, max: 1 }), quote: fc.boolean(), pad: fc.boolean() }), { maxLength: 10 }),
    layout,
    corruption,
  });
  const truthJsonl = fc.record({
    rows: fc.array(
      fc.oneof(
        { weight: 8, arbitrary: fc.record({ task: fc.constantFrom(...TASKS, '', null, 7, true), label: fc.constantFrom('no', 'yes', 'maybe', '', null, 1) }) },
        { weight: 1, arbitrary: fc.constantFrom('{', '[]', '3', 'null') },
      ),
      { maxLength: 10 },
    ),
    layout,
    corruption,
  });

  async function check(bytes: Buffer, ext: 'csv' | 'jsonl'): Promise<void> {
    const f = writeCase(ext, bytes);
    const got = await outcome(() => readGoldTruth(f, { mode: 'verification', alphabet: ['no', 'maybe', 'yes'] }));
    const want = refTruth(bytes, ext);
    if ('truth' in want) {
      if (!got.ok) throw new Error(`expected a truth table, got: ${got.error.message}`);
      expect({ tasks: got.value.tasks, truth: Array.from(got.value.truth) }).toEqual(want.truth);
    } else {
      if (got.ok) throw new Error(`expected an error at line ${want.errorLine} (${want.kind})`);
      expectError(got.error.message, f, want);
    }
  }

  it('CSV task,label tables', async () => {
    await fc.assert(
      fc.asyncProperty(truthCsv, async (c) => {
        const lines = [c.header.join(',')];
        for (const r of c.rows) {
          const vals = c.header.map((h) => (h === 'note' ? 'x' : (r as unknown as Record<string, string>)[h]));
          lines.push(vals.slice(0, vals.length - r.cut).map((v) => cellText(v, r.quote, r.pad)).join(','));
        }
        await check(corrupt(assemble(lines, c.layout), c.corruption), 'csv');
      }),
      { numRuns: RUNS },
    );
  });

  it('JSONL task,label tables', async () => {
    await fc.assert(
      fc.asyncProperty(truthJsonl, async (c) => {
        const lines = c.rows.map((r) => (typeof r === 'string' ? r : JSON.stringify(r)));
        await check(corrupt(assemble(lines, c.layout), c.corruption), 'jsonl');
      }),
      { numRuns: RUNS },
    );
  });
});
