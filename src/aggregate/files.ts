/**
 * The file front end of `aggregate`: answers, gold and original labels from
 * files (raters.npz layout, CSV, JSONL, .npy), outputs to the files its `…Out`
 * options name, as `realabel aggregate` does. The fit and the writers are
 * aggregate()'s own (src/aggregate/aggregate.ts), so both give the same bytes;
 * this front end only narrows the inputs to file names and checks them first.
 */
import { UsageError } from '../errors';
import { aggregate, type AggregateOptions, type AggregateResult } from './aggregate';

export interface AggregateFilesOptions extends Omit<AggregateOptions, 'answers' | 'goldAnswers' | 'goldTruth' | 'original'> {
  /** Answers: raters.npz layout (tensor, info), or CSV/JSONL with task, worker, label. */
  answers: string;
  /** Crowd answers on the gold questions (same layouts as `answers`). */
  goldAnswers?: string;
  /** Gold truth: expert answers (npz, or CSV/JSONL with worker) or a task,label table. */
  goldTruth?: string;
  /** Original labels, .npy int [N]: unrated images keep theirs. */
  original?: string;
}

export type AggregateFilesResult = AggregateResult;

/** aggregate() on files: the inputs are read from the named files and the `…Out` options are written atomically. */
export async function aggregateFiles(opts: AggregateFilesOptions): Promise<AggregateFilesResult> {
  for (const name of ['answers', 'goldAnswers', 'goldTruth', 'original'] as const) {
    const v = opts[name] as unknown;
    if (v !== undefined && typeof v !== 'string') throw new UsageError(`\`${name}\` must be a file name here (aggregate() takes it in memory)`);
  }
  return aggregate(opts);
}
