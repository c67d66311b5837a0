/**
 * Gold truth for `aggregate --gold-truth FILE`: either expert answers (a
 * raters.npz-layout file, or CSV/JSONL with task, worker, label) reduced by a
 * majority rule, or a CSV/JSONL table of `task,label` truths.
 */
import { parse as parseCsv } from 'csv-parse/sync';
import { FormatError, ValidationError } from '../errors';
import { answerFormat, readAnswers, type AnswerTable } from '../io/answers';
import { expertPlurality, expertTruth } from './real';
import type { Mode } from './problem';
import { readText } from '../io/files';

export interface GoldTruth {
  file: string;
  tasks: string[];
  /** Verification: 1 present / 0 absent; categorical: answer index; -1 unknown. */
  truth: Int32Array;
  /** Expert answers, when the truth came from them. */
  experts?: AnswerTable;
}

export interface ReadTruthOptions {
  mode: Mode;
  alphabet: string[];
  /** Majority rule: present when at least this many experts said the top answer (default a strict majority). */
  minYes?: number;
}

export async function readGoldTruth(file: string, opts: ReadTruthOptions): Promise<GoldTruth> {
  const format = answerFormat(file);
  if (format === 'npz' || format === 'label-studio' || hasWorkerColumn(file, format)) {
    // Experts may answer from a different alphabet subset, but in the same alphabet.
    const experts = await readAnswers(file, { mode: opts.mode, alphabet: opts.alphabet, format });
    const truth = opts.mode === 'verification' ? expertTruth(experts, opts.minYes) : expertPlurality(experts, opts.minYes);
    return { file, tasks: experts.tasks, truth, experts };
  }
  return readTruthTable(file, format, opts);
}


function hasWorkerColumn(file: string, format: 'csv' | 'jsonl'): boolean {
  const text = readText(file);
  if (format === 'csv') {
    const first = text.split(/\r?\n/, 1)[0].replace(/^\uFEFF/, '');
    return first.split(',').map((s) => s.trim().replace(/^"|"$/g, '')).includes('worker');
  }
  const line = text.split(/\r?\n/).find((l) => l.trim() !== '');
  try {
    return line !== undefined && 'worker' in JSON.parse(line);
  } catch {
    return false;
  }
}

/** `task,label` rows: verification labels are the alphabet's first (absent) or last (present) value. */
function readTruthTable(file: string, format: 'csv' | 'jsonl', opts: ReadTruthOptions): GoldTruth {
  const rows: Array<{ task: string; label: string; line: number }> = [];
  const text = readText(file);
  if (format === 'csv') {
    let records: Array<{ record: string[]; info: { lines: number } }>;
    try {
      records = parseCsv(text, { bom: true, trim: true, skip_empty_lines: true, relax_column_count: true, info: true }) as unknown as typeof records;
    } catch (err) {
      const e = err as { message?: string; lines?: number };
      throw new FormatError(`${e.lines ? `line ${e.lines}: ` : ''}not valid CSV (${e.message ?? String(err)})`, file);
    }
    if (records.length === 0) throw new FormatError('is empty (a header task,label is required)', file);
    const header = records[0].record;
    const ti = header.indexOf('task');
    const li = header.indexOf('label');
    if (ti < 0 || li < 0) throw new FormatError(`line ${records[0].info.lines}: the header needs columns task and label (or task, worker, label for expert answers)`, file);
    for (const { record, info } of records.slice(1)) {
      for (const [name, j] of [['task', ti], ['label', li]] as const) {
        if (!record[j]) throw new FormatError(`line ${info.lines}: missing field '${name}'`, file);
      }
      rows.push({ task: record[ti], label: record[li], line: info.lines });
    }
  } else {
    text.split(/\r?\n/).forEach((l, i) => {
      if (l.trim() === '') return;
      let obj: Record<string, unknown>;
      try {
        obj = JSON.parse(l);
      } catch (err) {
        throw new FormatError(`line ${i + 1}: not valid JSON (${(err as Error).message})`, file);
      }
      if (obj === null || typeof obj !== 'object' || Array.isArray(obj)) throw new FormatError(`line ${i + 1}: expected a JSON object`, file);
      for (const f of ['task', 'label']) {
        const v = obj[f];
        if (v === undefined || v === null || v === '') throw new FormatError(`line ${i + 1}: missing field '${f}'`, file);
        if (typeof v !== 'string' && typeof v !== 'boolean' && !(typeof v === 'number' && Number.isFinite(v))) {
          throw new FormatError(`line ${i + 1}: field '${f}' must be a string, a number or true/false`, file);
        }
      }
      rows.push({ task: String(obj.task), label: String(obj.label), line: i + 1 });
    });
  }
  const A = opts.alphabet.length;
  const index = new Map(opts.alphabet.map((s, i) => [s, i]));
  const seen = new Map<string, number>();
  const tasks: string[] = [];
  const truth: number[] = [];
  for (const r of rows) {
    let v = index.get(r.label);
    if (v === undefined || (opts.mode === 'verification' && v !== 0 && v !== A - 1)) {
      const allowed = opts.mode === 'verification' ? `${opts.alphabet[0]} or ${opts.alphabet[A - 1]}` : opts.alphabet.join(', ');
      throw new ValidationError(`line ${r.line}: truth '${r.label}' is not one of ${allowed}`, file);
    }
    if (opts.mode === 'verification') v = v === 0 ? 0 : 1;
    const prev = seen.get(r.task);
    if (prev !== undefined) throw new ValidationError(`line ${r.line}: task '${r.task}' has a truth already (line ${prev})`, file);
    seen.set(r.task, r.line);
    tasks.push(r.task);
    truth.push(v);
  }
  return { file, tasks, truth: Int32Array.from(truth) };
}
