/**
 * A Label Studio JSON export of a realabel rating project, as answer rows:
 * each task's `data.question_i` names a question (`IMAGE:LABEL`), each
 * annotation's `choices` result from `answer_i` is one answer by
 * `completed_by`. Cancelled and ground-truth (expert reference)
 * annotations are left out. Errors name the file and the task.
 */
import { FormatError } from '../errors';
import { readText } from './files';

export interface LabelStudioRows {
  task: string[];
  worker: string[];
  label: string[];
  /** 1-based position of the task in the export (the "line" of error messages). */
  line: number[];
}

type Obj = Record<string, unknown>;
const isObj = (x: unknown): x is Obj => typeof x === 'object' && x !== null && !Array.isArray(x);

export function readLabelStudio(file: string): LabelStudioRows {
  let tasks: unknown;
  try {
    tasks = JSON.parse(readText(file));
  } catch (err) {
    if (err instanceof FormatError) throw err;
    throw new FormatError(`not valid JSON (${(err as Error).message})`, file);
  }
  if (!Array.isArray(tasks)) throw new FormatError('a Label Studio export is a JSON list of tasks', file);
  const rows: LabelStudioRows = { task: [], worker: [], label: [], line: [] };
  tasks.forEach((t, i) => {
    const at = `task ${i + 1}`;
    if (!isObj(t) || !isObj(t.data)) throw new FormatError(`${at}: expected an object with 'data'`, file);
    const data = t.data;
    const annotations = t.annotations ?? [];
    if (!Array.isArray(annotations)) throw new FormatError(`${at}: 'annotations' must be a list`, file);
    for (const a of annotations) {
      if (!isObj(a)) throw new FormatError(`${at}: an annotation is not an object`, file);
      if (a.was_cancelled === true || a.ground_truth === true) continue;
      const by = isObj(a.completed_by) ? a.completed_by.id ?? a.completed_by.email : a.completed_by;
      if (typeof by !== 'number' && typeof by !== 'string') throw new FormatError(`${at}: an annotation has no 'completed_by'`, file);
      if (!Array.isArray(a.result)) throw new FormatError(`${at}: an annotation has no 'result' list`, file);
      for (const r of a.result) {
        if (!isObj(r) || r.type !== 'choices') continue;
        const m = /^answer_(\d+)$/.exec(String(r.from_name));
        if (!m) continue; // another control of the labeling config
        const question = data[`question_${m[1]}`];
        if (typeof question !== 'string' || question === '') throw new FormatError(`${at}: result '${String(r.from_name)}' has no data.question_${m[1]}`, file);
        const choices = isObj(r.value) ? r.value.choices : undefined;
        if (!Array.isArray(choices) || choices.length !== 1 || typeof choices[0] !== 'string') {
          throw new FormatError(`${at}: result '${String(r.from_name)}' must hold exactly one choice`, file);
        }
        rows.task.push(question);
        rows.worker.push(String(by));
        rows.label.push(choices[0]);
        rows.line.push(i + 1);
      }
    }
  });
  return rows;
}
