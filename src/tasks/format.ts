/**
 * Task files: JSONL (one task per line) and CSV (one row per task, for
 * crowdsourcing platforms). See docs/tasks.md for the round trip.
 *
 * Each label of a task is one question; its id `<image>:<label>` is what a
 * platform sends back in the answers' `task` column, so that
 * `realabel aggregate` (verification mode) maps every answer to its
 * (image, label) pair without this file.
 */
import { imageIndexOf } from '../io/imagenet-files';
import type { Task } from './tasks';

/** The id of the question "is `label` in `image`?". */
export function questionId(image: number, label: number): string {
  return `${image}:${label}`;
}

/**
 * Parses a question id back into its pair (null when it is not one). Also
 * takes the published layout's `ILSVRC2012_val_XXXXXXXX.JPEG:label` form
 * (image XXXXXXXX - 1), as aggregate names the questions of raters.npz.
 */
export function parseQuestionId(id: string): { image: number; label: number } | null {
  const m = /^([^:]+):(\d+)$/.exec(id.trim());
  if (!m) return null;
  const image = /^\d+$/.test(m[1]) ? Number(m[1]) : imageIndexOf(m[1]);
  return image !== undefined && image >= 0 ? { image, label: Number(m[2]) } : null;
}

/** `{task, image, labels: [{label, wnid, name}]}` per line. */
export function tasksToJsonl(tasks: readonly Task[]): string {
  let out = '';
  for (const t of tasks) out += `${JSON.stringify({ task: t.task, image: t.image, labels: t.labels })}\n`;
  return out;
}

/** CSV header: task, image, n_labels, then label_i, wnid_i, name_i, question_i for i = 1..maxLabels. */
export function csvHeader(maxLabels: number): string[] {
  const cols = ['task', 'image', 'n_labels'];
  for (let i = 1; i <= maxLabels; i++) cols.push(`label_${i}`, `wnid_${i}`, `name_${i}`, `question_${i}`);
  return cols;
}

/** One row per task; slots past the task's labels are empty. */
export function tasksToCsv(tasks: readonly Task[], maxLabels: number): string {
  const lines = [csvHeader(maxLabels).join(',')];
  for (const t of tasks) {
    const row: Array<string | number> = [t.task, t.image, t.labels.length];
    for (let i = 0; i < maxLabels; i++) {
      const l = t.labels[i];
      row.push(...(l ? [l.label, l.wnid, l.name, questionId(t.image, l.label)] : ['', '', '', '']));
    }
    lines.push(row.map(csvField).join(','));
  }
  return `${lines.join('\n')}\n`;
}

/** RFC 4180 quoting: fields with a comma, quote or line break are quoted, quotes doubled. */
function csvField(v: string | number): string {
  const s = String(v);
  return /[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}
