/**
 * Exports of the ratings database, in forms `realabel aggregate` reads:
 * - csv / jsonl: crowd-kit's long `task,worker,label` form, question ids
 *   `IMAGE:LABEL`, worker = the rater's id;
 * - raters-npz: the ReaL release's layout (tensor [R, Q, 3] one-hot float64
 *   no/maybe/yes, info [Q, 2] (file name, label), ids [R]);
 * - label-studio: a Label Studio JSON export (one task per image task, data
 *   `image`, `question_i`, `name_i`; one annotation per rater with
 *   `completed_by`, `lead_time` in seconds, choices `answer_i`); expert
 *   truth is a `ground_truth` annotation.
 * Answers to gold questions go to a separate output (`--gold-out`), named as
 * the gold file names them so `aggregate --gold-truth` matches them. Answers
 * of banned raters are left out unless `includeBanned`.
 */
import { writeFileAtomicSync } from '../io/atomic';
import { imageFileName } from '../io/imagenet-files';
import type { NdArray } from '../io/npy';
import { writeNpz } from '../io/npz';
import { ANSWERS, type Db } from './store';

export const EXPORT_FORMATS = ['csv', 'jsonl', 'raters-npz', 'label-studio'] as const;
export type ExportFormat = (typeof EXPORT_FORMATS)[number];

export interface ExportOptions {
  format: ExportFormat;
  includeBanned?: boolean;
  /** Image URL in Label Studio tasks (default /images/<index>). */
  imageUrl?: (image: number) => string;
}

export interface ExportCounts {
  answers: number;
  gold_answers: number;
  questions: number;
  raters: number;
  banned_left_out: number;
}

/** One answer row, in answer order. */
type Row = [taskId: number, task: string, image: number, label: number, rater: number, answer: number, gold: string | null, truth: number | null, ms: number | null, assignment: number, at: number, labels: string];

function rows(db: Db, includeBanned: boolean): IterableIterator<Row> {
  const sql = `SELECT a.task_id, t.name, t.image, a.label, a.rater_id, a.answer, g.name, g.truth, s.ms, a.assignment_id, a.at, t.labels
    FROM answers a JOIN tasks t ON t.id = a.task_id JOIN raters r ON r.id = a.rater_id JOIN assignments s ON s.id = a.assignment_id
    LEFT JOIN gold g ON g.task_id = a.task_id AND g.label = a.label
    ${includeBanned ? '' : 'WHERE r.banned_at IS NULL'} ORDER BY a.id`;
  return db.prepare(sql).raw().iterate() as IterableIterator<Row>;
}

function countBanned(db: Db): number {
  return (db.prepare('SELECT COUNT(*) AS n FROM answers a JOIN raters r ON r.id = a.rater_id WHERE r.banned_at IS NOT NULL').get() as { n: number }).n;
}

const questionName = (r: Row) => r[6] ?? `${r[2]}:${r[3]}`;

/** CSV / JSONL / Label Studio text: the main answers and the gold answers. */
export function exportAnswers(db: Db, opts: ExportOptions): { main: string; gold: string; counts: ExportCounts } {
  if (opts.format === 'raters-npz') throw new Error('raters-npz is written by exportToFiles');
  const includeBanned = opts.includeBanned ?? false;
  const out = db.transaction(() => (opts.format === 'label-studio' ? labelStudio(db, opts) : longForm(db, opts.format === 'csv', includeBanned)))();
  out.counts.banned_left_out = includeBanned ? 0 : countBanned(db);
  return out;
}

const KEEP = 'a.rater_id NOT IN (SELECT id FROM raters WHERE banned_at IS NOT NULL)';
/** Rows per SQL call of the long form (bounds the size of one string). */
const CHUNK = 1 << 16;

/**
 * The long form, formatted by SQLite itself: one group_concat per chunk of
 * answer ids instead of one JS object per answer (a million answers in
 * about 0.5 s of CPU instead of 3 s).
 */
function longForm(db: Db, csv: boolean, includeBanned: boolean): { main: string; gold: string; counts: ExportCounts } {
  const answerText = "CASE a.answer WHEN 0 THEN 'no' WHEN 1 THEN 'maybe' ELSE 'yes' END";
  const question = "coalesce(g.name, t.image || ':' || a.label)";
  const line = csv
    ? `CASE WHEN g.name IS NULL THEN t.image || ':' || a.label WHEN instr(g.name, ',') OR instr(g.name, '"') THEN '"' || replace(g.name, '"', '""') || '"' ELSE g.name END || ',' || a.rater_id || ',' || ${answerText}`
    : `json_object('task', ${question}, 'worker', CAST(a.rater_id AS TEXT), 'label', ${answerText})`;
  const chunk = db.prepare(
    `SELECT group_concat(${line}, char(10) ORDER BY a.id) FILTER (WHERE g.name IS NULL),
            group_concat(${line}, char(10) ORDER BY a.id) FILTER (WHERE g.name IS NOT NULL)
     FROM answers a JOIN tasks t ON t.id = a.task_id LEFT JOIN gold g ON g.task_id = a.task_id AND g.label = a.label
     WHERE a.id >= ? AND a.id < ?${includeBanned ? '' : ` AND ${KEEP}`}`,
  ).raw();
  const lastId = (db.prepare('SELECT MAX(id) FROM answers').pluck().get() as number | null) ?? 0;
  const main: string[] = [];
  const gold: string[] = [];
  if (csv) main.push('task,worker,label'), gold.push('task,worker,label');
  for (let lo = 1; lo <= lastId; lo += CHUNK) {
    const [m, g] = chunk.get(lo, lo + CHUNK) as [string | null, string | null];
    if (m) main.push(m);
    if (g) gold.push(g);
  }
  const from = `FROM answers a LEFT JOIN gold g ON g.task_id = a.task_id AND g.label = a.label${includeBanned ? '' : ` WHERE ${KEEP}`}`;
  const c = db.prepare(`SELECT SUM(g.name IS NULL), SUM(g.name IS NOT NULL), COUNT(DISTINCT a.rater_id) ${from}`).raw().get() as Array<number | null>;
  const questions = db.prepare(`SELECT COUNT(*) FROM (SELECT 1 ${from} ${includeBanned ? 'WHERE' : 'AND'} g.name IS NULL GROUP BY a.task_id, a.label)`).pluck().get() as number;
  return { main: joinLines(main), gold: c[1] ? joinLines(gold) : '', counts: counts(c[0] ?? 0, c[1] ?? 0, questions, c[2] ?? 0) };
}

function joinLines(lines: string[]): string {
  return lines.length ? `${lines.join('\n')}\n` : '';
}

function counts(answers: number, gold: number, questions: number, raters: number): ExportCounts {
  return { answers, gold_answers: gold, questions, raters, banned_left_out: 0 };
}

interface LsTask {
  id: number;
  data: Record<string, string | number>;
  annotations: LsAnnotation[];
}

interface LsAnnotation {
  id: number;
  completed_by: number;
  lead_time: number | null;
  ground_truth: boolean;
  was_cancelled: boolean;
  created_at: string;
  result: Array<{ id: string; from_name: string; to_name: string; type: 'choices'; value: { choices: string[] } }>;
}

/** Label Studio JSON: gold questions of a task go to the gold export's copy of that task. */
function labelStudio(db: Db, opts: ExportOptions): { main: string; gold: string; counts: ExportCounts } {
  const url = opts.imageUrl ?? ((i: number) => `/images/${i}`);
  const tasks = [new Map<number, LsTask>(), new Map<number, LsTask>()];
  const annotations = new Map<string, LsAnnotation>();
  const n = [0, 0];
  const qs = new Set<string>();
  const raters = new Set<number>();
  const truthOf = db.prepare('SELECT label, name, truth FROM gold WHERE task_id = ?');
  for (const r of rows(db, opts.includeBanned ?? false)) {
    const side = r[6] === null ? 0 : 1;
    const labels = JSON.parse(r[11]) as number[];
    let task = tasks[side].get(r[0]);
    if (!task) {
      const data: Record<string, string | number> = { image: url(r[2]), task: r[1], image_index: r[2] };
      const gold = new Map((truthOf.all(r[0]) as Array<{ label: number; name: string; truth: number }>).map((g) => [g.label, g]));
      labels.forEach((l, i) => {
        data[`question_${i + 1}`] = gold.get(l)?.name ?? `${r[2]}:${l}`;
      });
      task = { id: r[0], data, annotations: [] };
      if (side === 1) {
        // The expert truth, as Label Studio marks a reference annotation.
        task.annotations.push({
          id: -r[0], completed_by: 0, lead_time: null, ground_truth: true, was_cancelled: false, created_at: new Date(0).toISOString(),
          result: labels.flatMap((l, i) => (gold.has(l) ? [choice(i, gold.get(l)!.truth === 1 ? 'yes' : 'no')] : [])),
        });
      }
      tasks[side].set(r[0], task);
    }
    const key = `${side}:${r[9]}`;
    let ann = annotations.get(key);
    if (!ann) {
      ann = { id: r[9], completed_by: r[4], lead_time: r[8] === null ? null : r[8] / 1000, ground_truth: false, was_cancelled: false, created_at: new Date(r[10]).toISOString(), result: [] };
      annotations.set(key, ann);
      task.annotations.push(ann);
    }
    ann.result.push(choice(labels.indexOf(r[3]), ANSWERS[r[5]]));
    n[side]++;
    if (side === 0) qs.add(questionName(r));
    raters.add(r[4]);
  }
  const text = (m: Map<number, LsTask>) => `${JSON.stringify([...m.values()])}\n`;
  return { main: text(tasks[0]), gold: n[1] ? text(tasks[1]) : '', counts: counts(n[0], n[1], qs.size, raters.size) };
}

function choice(slot: number, value: string) {
  return { id: `q${slot + 1}`, from_name: `answer_${slot + 1}`, to_name: 'image', type: 'choices' as const, value: { choices: [value] } };
}

/**
 * The raters.npz layout over the main questions (and, for the gold export,
 * the gold questions). Rater rows are the rater ids ascending, questions in
 * first-answer order.
 */
function ratersNpz(db: Db, includeBanned: boolean): { main: Record<string, NdArray>; gold: Record<string, NdArray> | null; counts: ExportCounts } {
  return db.transaction(() => {
    const sides = [new NpzBuilder(), new NpzBuilder()];
    for (const r of rows(db, includeBanned)) {
      const side = r[6] === null ? 0 : 1;
      const [file, label] = side === 0 ? [imageFileName(r[2]), String(r[3])] : splitName(r[6]!);
      sides[side].add(`${file}:${label}`, file, label, r[4], r[5]);
    }
    const gold = sides[1].answers ? sides[1].build() : null;
    const ids = new Set([...sides[0].raterIds, ...sides[1].raterIds]);
    return { main: sides[0].build(), gold, counts: counts(sides[0].answers, sides[1].answers, sides[0].questions.size, ids.size) };
  })();
}

function splitName(name: string): [string, string] {
  const at = name.lastIndexOf(':');
  return [name.slice(0, at), name.slice(at + 1)];
}

class NpzBuilder {
  readonly questions = new Map<string, number>();
  readonly info: string[] = [];
  readonly raterIds = new Set<number>();
  private readonly entries: Array<[number, number, number]> = [];
  answers = 0;

  add(key: string, file: string, label: string, rater: number, answer: number): void {
    let q = this.questions.get(key);
    if (q === undefined) {
      q = this.questions.size;
      this.questions.set(key, q);
      this.info.push(file, label);
    }
    this.raterIds.add(rater);
    this.entries.push([rater, q, answer]);
    this.answers++;
  }

  build(): Record<string, NdArray> {
    const ids = [...this.raterIds].sort((a, b) => a - b);
    const row = new Map(ids.map((id, i) => [id, i]));
    const Q = this.questions.size;
    const tensor = new Float64Array(ids.length * Q * 3);
    for (const [rater, q, a] of this.entries) tensor[(row.get(rater)! * Q + q) * 3 + a] = 1;
    let width = 1;
    for (const s of this.info) width = Math.max(width, s.length); // not Math.max(...info): millions of arguments overflow the stack
    return {
      tensor: { dtype: 'f8', shape: [ids.length, Q, 3], data: tensor },
      info: { dtype: `U${width}`, shape: [Q, 2], data: this.info },
      ids: { dtype: 'i8', shape: [ids.length], data: BigInt64Array.from(ids, (x) => BigInt(x)) },
    };
  }
}

export interface ExportFilesOptions {
  format: ExportFormat;
  out: string;
  goldOut?: string;
  includeBanned?: boolean;
  imageUrl?: (image: number) => string;
}

/** Writes the export (atomically); gold answers go to goldOut, or are left out without it. */
export function exportToFiles(db: Db, opts: ExportFilesOptions): ExportCounts & { outputs: string[] } {
  const outputs: string[] = [];
  if (opts.format === 'raters-npz') {
    const r = ratersNpz(db, opts.includeBanned ?? false);
    writeNpz(opts.out, r.main, { compress: true });
    outputs.push(opts.out);
    if (opts.goldOut && r.gold) {
      writeNpz(opts.goldOut, r.gold, { compress: true });
      outputs.push(opts.goldOut);
    }
    return { ...r.counts, banned_left_out: opts.includeBanned ? 0 : countBanned(db), outputs };
  }
  const r = exportAnswers(db, opts);
  writeFileAtomicSync(opts.out, r.main);
  outputs.push(opts.out);
  if (opts.goldOut && r.counts.gold_answers) {
    writeFileAtomicSync(opts.goldOut, r.gold);
    outputs.push(opts.goldOut);
  }
  return { ...r.counts, outputs };
}
