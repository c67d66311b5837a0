/**
 * The Label Studio JSON export: one task per image task (data `image`,
 * `task`, `image_index`, `question_i`), one annotation per rater's
 * submission (`completed_by`, `lead_time` in seconds, `created_at`, choices
 * `answer_i`). Gold questions of a task go to the gold export's copy of that
 * task, which starts with the expert truth as a `ground_truth` annotation.
 *
 * Tasks come in first-answer order, annotations in first-answer order
 * within their task, choices in answer order: the order of a plain
 * JSON.stringify over objects built answer by answer, and the same bytes
 * (key order, number formatting). Built that way a million answers are a
 * million objects and a 150 MB string; here one pass keeps integers per
 * answer, two counting sorts group them, and the text goes straight into
 * a ByteSink.
 */
import type { ByteSink } from '../io/byte-sink';
import { ANSWERS, type Db } from './store';
import { counts, type ExportCounts, type GoldQuestionRow, goldQuestions, IntList, questionKey, scanAnswers } from './export-rows';

export interface LabelStudioOptions {
  includeBanned?: boolean;
  /** Image URL in the tasks (default /images/<index>). */
  imageUrl?: (image: number) => string;
}

/** One side (main or gold) of the export, as integers per answer. */
class Side {
  readonly taskIds: number[] = [];
  readonly taskIndex = new Map<number, number>();
  readonly annIndex = new Map<number, number>();
  readonly annId = new IntList();
  readonly annTask = new IntList();
  readonly annRater = new IntList();
  readonly annMs: number[] = [];
  readonly annAt: number[] = [];
  readonly rowAnn = new IntList();
  /** (slot + 1) * 3 + answer, slot = the label's place in the task (-1 when absent). */
  readonly rowChoice = new IntList();

  task(taskId: number): number {
    let t = this.taskIndex.get(taskId);
    if (t === undefined) {
      t = this.taskIds.length;
      this.taskIndex.set(taskId, t);
      this.taskIds.push(taskId);
    }
    return t;
  }

  annotation(assignment: number, task: number, rater: number, ms: number, at: number): number {
    let a = this.annIndex.get(assignment);
    if (a === undefined) {
      a = this.annId.length;
      this.annIndex.set(assignment, a);
      this.annId.push(assignment);
      this.annTask.push(task);
      this.annRater.push(rater);
      this.annMs.push(ms);
      this.annAt.push(at);
    }
    return a;
  }
}

interface TaskRow {
  name: string;
  image: number;
  labels: number[];
}

/** Writes both sides; the gold side only when it has answers. */
export function labelStudio(db: Db, opts: LabelStudioOptions, main: ByteSink, gold: ByteSink): ExportCounts {
  const goldByTask = goldQuestions(db);
  const taskRow = db.prepare('SELECT name, image, labels FROM tasks WHERE id = ?');
  const taskRows = new Map<number, TaskRow>();
  const taskOf = (taskId: number): TaskRow => {
    let t = taskRows.get(taskId);
    if (!t) {
      const r = taskRow.get(taskId) as { name: string; image: number; labels: string };
      t = { name: r.name, image: r.image, labels: JSON.parse(r.labels) as number[] };
      taskRows.set(taskId, t);
    }
    return t;
  };
  const sides = [new Side(), new Side()];
  const questions = new Set<number | string>();
  const raters = new Set<number>();
  const columns = ['a.task_id', 'a.label', 'a.rater_id', 'a.answer', 'a.assignment_id', 'ifnull(s.ms, -1)', 'a.at', 't.image'];
  scanAnswers(db, columns, opts.includeBanned ?? false, (v, rows) => {
    for (let o = 0; o < rows * columns.length; o += columns.length) {
      const taskId = v[o], label = v[o + 1], rater = v[o + 2], answer = v[o + 3];
      const isGold = goldByTask.get(taskId)?.has(label) === true;
      const side = sides[isGold ? 1 : 0];
      const ann = side.annotation(v[o + 4], side.task(taskId), rater, v[o + 5], v[o + 6]);
      side.rowAnn.push(ann);
      side.rowChoice.push((taskOf(taskId).labels.indexOf(label) + 1) * 3 + answer);
      if (!isGold) questions.add(questionKey(v[o + 7], label));
      raters.add(rater);
    }
  });
  const url = opts.imageUrl ?? ((i: number) => `/images/${i}`);
  writeSide(main, sides[0], false, (id) => taskOf(id), goldByTask, url);
  if (sides[1].rowAnn.length) writeSide(gold, sides[1], true, (id) => taskOf(id), goldByTask, url);
  return counts(sides[0].rowAnn.length, sides[1].rowAnn.length, questions.size, raters.size);
}

/** Start of each group and the members in group order, keeping their order within a group (a counting sort). */
function groupBy(group: Int32Array, count: number, groups: number): { start: Int32Array; members: Int32Array } {
  const start = new Int32Array(groups + 1);
  for (let i = 0; i < count; i++) start[group[i] + 1]++;
  for (let g = 0; g < groups; g++) start[g + 1] += start[g];
  const next = start.slice(0, groups);
  const members = new Int32Array(count);
  for (let i = 0; i < count; i++) members[next[group[i]]++] = i;
  return { start, members };
}

function writeSide(sink: ByteSink, side: Side, withTruth: boolean, taskOf: (id: number) => TaskRow, gold: Map<number, Map<number, GoldQuestionRow>>, url: (image: number) => string): void {
  const rows = groupBy(side.rowAnn.data, side.rowAnn.length, side.annId.length);
  const anns = groupBy(side.annTask.data, side.annTask.length, side.taskIds.length);
  const choice = choiceBytes();
  sink.text('[');
  side.taskIds.forEach((taskId, t) => {
    const task = taskOf(taskId);
    const g = gold.get(taskId);
    sink.text(`${t ? ',' : ''}${taskHead(taskId, task, g, url)}`);
    let first = true;
    if (withTruth) {
      // The expert truth, as Label Studio marks a reference annotation.
      sink.text(`{"id":${-taskId},"completed_by":0,"lead_time":null,"ground_truth":true,"was_cancelled":false,"created_at":"${new Date(0).toISOString()}","result":[`);
      task.labels.forEach((l, i) => {
        const q = g?.get(l);
        if (q) sink.bytes(choice((i + 1) * 3 + (q.truth === 1 ? 2 : 0), !first)), (first = false);
      });
      sink.text(']}');
      first = false;
    }
    for (let k = anns.start[t]; k < anns.start[t + 1]; k++) {
      const a = anns.members[k];
      const ms = side.annMs[a];
      sink.text(`${first ? '' : ','}{"id":${side.annId.data[a]},"completed_by":${side.annRater.data[a]},"lead_time":${ms < 0 ? 'null' : ms / 1000},"ground_truth":false,"was_cancelled":false,"created_at":"${new Date(side.annAt[a]).toISOString()}","result":[`);
      first = false;
      for (let r = rows.start[a]; r < rows.start[a + 1]; r++) sink.bytes(choice(side.rowChoice.data[rows.members[r]], r > rows.start[a]));
      sink.text(']}');
    }
    sink.text(']}');
  });
  sink.text(']\n');
}

function taskHead(taskId: number, task: TaskRow, gold: Map<number, GoldQuestionRow> | undefined, url: (image: number) => string): string {
  const qs = task.labels.map((l, i) => `,"question_${i + 1}":${JSON.stringify(gold?.get(l)?.name ?? `${task.image}:${l}`)}`).join('');
  return `{"id":${taskId},"data":{"image":${JSON.stringify(url(task.image))},"task":${JSON.stringify(task.name)},"image_index":${task.image}${qs}},"annotations":[`;
}

/** One choice's JSON bytes by code ((slot + 1) * 3 + answer), with or without a leading comma; cached. */
function choiceBytes(): (code: number, comma: boolean) => Uint8Array {
  const cache = new Map<number, Uint8Array>();
  return (code, comma) => {
    const key = code * 2 + (comma ? 1 : 0);
    let b = cache.get(key);
    if (!b) {
      const slot = Math.floor(code / 3) - 1;
      const json = JSON.stringify({ id: `q${slot + 1}`, from_name: `answer_${slot + 1}`, to_name: 'image', type: 'choices', value: { choices: [ANSWERS[code % 3]] } });
      b = Buffer.from(comma ? `,${json}` : json, 'utf8');
      cache.set(key, b);
    }
    return b;
  };
}
