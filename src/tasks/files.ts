/** The file front end of `tasks`: proposals.npz and synset.txt in, a JSONL or CSV tasks file out. */
import { writeFileAtomicSync } from '../io/atomic';
import { readSynsets } from '../io/synsets';
import { checkSignal, throwIfAborted } from '../util/abort';
import { now, since } from '../util/timer';
import { tasksToCsv, tasksToJsonl } from './format';
import { readProposalPairs } from './read';
import { tasks, type TasksResult } from './tasks';

export interface TasksFilesOptions {
  /** proposals.npz (or the published info layout, see read.ts). */
  proposals: string;
  /** synset.txt: one "wnid name" line per class, in label order. */
  synsets: string;
  /** Expected number of classes (checks the synset file). */
  classes?: number;
  maxLabels?: number;
  format?: 'jsonl' | 'csv';
  /** Tasks file to write; nothing is written when absent. */
  out?: string;
  /** Stops before the work and before the write with an AbortError. */
  signal?: AbortSignal;
}

export interface TasksFilesResult extends TasksResult {
  out?: string;
  format: 'jsonl' | 'csv';
  timingsMs: { read: number; hierarchy: number; split: number; coherence: number; write: number; total: number };
}

export async function tasksFiles(opts: TasksFilesOptions): Promise<TasksFilesResult> {
  const signal = checkSignal(opts.signal);
  const t0 = now();
  const input = await readProposalPairs(opts.proposals);
  const classes = readSynsets(opts.synsets, { expected: opts.classes });
  const read = since(t0);
  throwIfAborted(signal);
  const maxLabels = opts.maxLabels ?? 8;
  const result = tasks(input, { classes, maxLabels, file: opts.proposals, classesFile: opts.synsets });
  throwIfAborted(signal);
  const t = now();
  const format = opts.format ?? 'jsonl';
  if (opts.out) writeFileAtomicSync(opts.out, format === 'csv' ? tasksToCsv(result.tasks, maxLabels) : tasksToJsonl(result.tasks));
  const { hierarchy, split, coherence } = result.summary.timingsMs;
  return { ...result, out: opts.out, format, timingsMs: { read, hierarchy, split, coherence, write: since(t), total: since(t0) } };
}
