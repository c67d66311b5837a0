/**
 * Answer rows for the exports, read as integers in chunks of answer ids.
 *
 * Stepping a million rows through better-sqlite3's iterator costs about a
 * microsecond per row and column (4 s for the 1M-answer bench under load);
 * asking SQLite for one `group_concat` string of integers per chunk and
 * parsing it here costs a fifth of that, and the parse fills one reused
 * Float64Array instead of allocating an array per row.
 */
import type { Db } from './store';

/** Answer ids per SQL call (bounds the size of one string). */
const CHUNK = 1 << 16;

/** Leaves out the answers of banned raters. */
export const UNBANNED = 'a.rater_id NOT IN (SELECT id FROM raters WHERE banned_at IS NOT NULL)';

/**
 * Calls `visit(values, rows)` per chunk, in answer order: `values` holds
 * `rows × columns.length` numbers, row-major, and is reused between calls.
 * Each column is an SQL expression over `answers a` joined with `tasks t`
 * and `assignments s` that must give an integer (never NULL: use ifnull).
 */
export function scanAnswers(db: Db, columns: readonly string[], includeBanned: boolean, visit: (values: Float64Array, rows: number) => void): void {
  const row = columns.join(" || ',' || ");
  const chunk = db
    .prepare(
      `SELECT group_concat(${row}, ',' ORDER BY a.id), COUNT(*)
       FROM answers a JOIN tasks t ON t.id = a.task_id JOIN assignments s ON s.id = a.assignment_id
       WHERE a.id >= ? AND a.id < ?${includeBanned ? '' : ` AND ${UNBANNED}`}`,
    )
    .raw();
  const lastId = (db.prepare('SELECT MAX(id) FROM answers').pluck().get() as number | null) ?? 0;
  let values = new Float64Array(0);
  for (let lo = 1; lo <= lastId; lo += CHUNK) {
    const [text, rows] = chunk.get(lo, lo + CHUNK) as [string | null, number];
    if (!text) continue;
    const need = rows * columns.length;
    if (values.length < need) values = new Float64Array(need);
    if (parseIntegers(text, values) !== need) throw new Error(`export: ${rows} answer rows did not give ${columns.length} integers each`);
    visit(values, rows);
  }
}

/**
 * Parses comma-separated numbers into `out`; returns how many. Integers (all
 * the server stores) take the fast loop; anything else (a REAL written by a
 * direct library call) falls back to Number().
 */
function parseIntegers(text: string, out: Float64Array): number {
  let n = 0;
  let value = 0;
  let sign = 1;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 44) {
      out[n++] = sign * value;
      value = 0;
      sign = 1;
    } else if (c >= 48 && c <= 57) value = value * 10 + (c - 48);
    else if (c === 45) sign = -1;
    else return parseNumbers(text, out);
  }
  out[n++] = sign * value;
  return n;
}

function parseNumbers(text: string, out: Float64Array): number {
  const parts = text.split(',');
  parts.forEach((p, i) => {
    out[i] = Number(p);
  });
  return parts.length;
}

export interface GoldQuestionRow {
  name: string;
  truth: number;
}

/** Gold questions by task id, then label. */
export function goldQuestions(db: Db): Map<number, Map<number, GoldQuestionRow>> {
  const byTask = new Map<number, Map<number, GoldQuestionRow>>();
  for (const g of db.prepare('SELECT task_id, label, name, truth FROM gold').all() as Array<{ task_id: number; label: number; name: string; truth: number }>) {
    let m = byTask.get(g.task_id);
    if (!m) byTask.set(g.task_id, (m = new Map()));
    m.set(g.label, { name: g.name, truth: g.truth });
  }
  return byTask;
}

/** A main question's key, (image, label): a number where it fits, as most do. */
export function questionKey(image: number, label: number): number | string {
  return label >= 0 && label < LABEL_SPAN && image >= 0 && image < 2 ** 31 ? image * LABEL_SPAN + label : `${image}:${label}`;
}
const LABEL_SPAN = 2 ** 21;

export interface ExportCounts {
  answers: number;
  gold_answers: number;
  questions: number;
  raters: number;
  banned_left_out: number;
}

export function counts(answers: number, gold: number, questions: number, raters: number): ExportCounts {
  return { answers, gold_answers: gold, questions, raters, banned_left_out: 0 };
}

export function countBanned(db: Db): number {
  return (db.prepare('SELECT COUNT(*) AS n FROM answers a JOIN raters r ON r.id = a.rater_id WHERE r.banned_at IS NOT NULL').get() as { n: number }).n;
}

/** A growable Int32Array. */
export class IntList {
  data = new Int32Array(1024);
  length = 0;

  push(x: number): void {
    if (this.length === this.data.length) {
      const grown = new Int32Array(this.data.length * 2);
      grown.set(this.data);
      this.data = grown;
    }
    this.data[this.length++] = x;
  }
}
