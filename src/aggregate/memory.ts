/**
 * In-memory answers for `aggregate` (a Node service that already holds its
 * crowd answers as typed arrays): checked and turned into the AnswerTable
 * the file readers produce.
 */
import { ValidationError } from '../errors';
import type { AnswerTable } from '../io/answers';
import { DEFAULT_ALPHABET } from './problem';

/** Answer i: worker[i] gave answer[i] (an index into `alphabet`) to question[i]. */
export interface AnswersInput {
  question: Int32Array;
  worker: Int32Array;
  answer: Int32Array;
  /** Default: the largest question index + 1 (or image.length). */
  numQuestions?: number;
  /** Default: the largest worker index + 1 (or workers.length). */
  numWorkers?: number;
  /** Verification: ordered from no to yes (default no, maybe, yes). Categorical: the classes. */
  alphabet?: string[];
  /** Verification: the (image, label) pair each question asks about, for label sets and pseudo-raters. */
  image?: Int32Array;
  label?: Int32Array;
  /** Question names (default `IMAGE:LABEL`, else the index). */
  tasks?: string[];
  /** Worker names (default the index); gold answers are matched to the main workers by name. */
  workers?: string[];
}

export function isAnswersInput(x: unknown): x is AnswersInput {
  return typeof x === 'object' && x !== null && (x as AnswersInput).question instanceof Int32Array;
}

function maxPlusOne(a: Int32Array): number {
  let m = -1;
  for (let i = 0; i < a.length; i++) if (a[i] > m) m = a[i];
  return m + 1;
}

/** Checks the arrays and names the table `what` in error messages. */
export function answerTable(input: AnswersInput, what: string): AnswerTable {
  const { question, worker, answer, image, label } = input;
  for (const [name, a] of [['question', question], ['worker', worker], ['answer', answer]] as const) {
    if (!(a instanceof Int32Array)) throw new ValidationError(`${name} must be an Int32Array`, what);
  }
  if (worker.length !== question.length || answer.length !== question.length) {
    throw new ValidationError(`question (${question.length}), worker (${worker.length}) and answer (${answer.length}) differ in length`, what);
  }
  if ((image === undefined) !== (label === undefined)) throw new ValidationError('image and label go together', what);
  if (image && label && (!(image instanceof Int32Array) || !(label instanceof Int32Array) || image.length !== label.length)) {
    throw new ValidationError('image and label must be Int32Arrays of the same length (one pair per question)', what);
  }
  const numQuestions = input.numQuestions ?? input.tasks?.length ?? image?.length ?? maxPlusOne(question);
  const numWorkers = input.numWorkers ?? input.workers?.length ?? maxPlusOne(worker);
  const alphabet = (input.alphabet ?? DEFAULT_ALPHABET).slice();
  const workers = input.workers ?? Array.from({ length: numWorkers }, (_, w) => String(w));
  if (input.tasks && input.tasks.length !== numQuestions) throw new ValidationError(`${input.tasks.length} task names for ${numQuestions} questions`, what);
  if (image && image.length !== numQuestions) throw new ValidationError(`${image.length} (image, label) pairs for ${numQuestions} questions`, what);
  if (workers.length !== numWorkers) throw new ValidationError(`${workers.length} worker names for ${numWorkers} workers`, what);
  for (let i = 0; i < question.length; i++) {
    if (!(question[i] >= 0 && question[i] < numQuestions)) throw new ValidationError(`question[${i}] = ${question[i]} is out of range [0, ${numQuestions})`, what);
    if (!(worker[i] >= 0 && worker[i] < numWorkers)) throw new ValidationError(`worker[${i}] = ${worker[i]} is out of range [0, ${numWorkers})`, what);
    if (!(answer[i] >= 0 && answer[i] < alphabet.length)) throw new ValidationError(`answer[${i}] = ${answer[i]} is out of range [0, ${alphabet.length})`, what);
  }
  const table: AnswerTable = { question, worker, answer, numQuestions, numWorkers, alphabet, file: what, format: 'npz', tasks: input.tasks ?? [], workers };
  if (!input.tasks) lazyTaskNames(table, image, label);
  return table;
}

/**
 * Default task names (`IMAGE:LABEL`, else the index) are made on first use:
 * a service's aggregate never reads them (it passes image and label), and
 * making 10^5 strings would hold the event loop for no use.
 */
function lazyTaskNames(table: AnswerTable, image?: Int32Array, label?: Int32Array): void {
  Object.defineProperty(table, 'tasks', {
    configurable: true,
    enumerable: true,
    get(): string[] {
      const tasks = taskNames(table.numQuestions, image, label);
      Object.defineProperty(table, 'tasks', { value: tasks, enumerable: true, writable: true, configurable: true });
      return tasks;
    },
  });
}

function taskNames(Q: number, image?: Int32Array, label?: Int32Array): string[] {
  const tasks = new Array<string>(Q);
  for (let q = 0; q < Q; q++) tasks[q] = image && label ? `${image[q]}:${label[q]}` : String(q);
  return tasks;
}

/** Original labels given in memory: integers >= 0. */
export function originalOf(labels: ArrayLike<number>, what: string): Int32Array {
  const out = new Int32Array(labels.length);
  for (let i = 0; i < labels.length; i++) {
    const v = labels[i];
    if (!Number.isInteger(v) || v < 0 || v > 2 ** 31 - 1) throw new ValidationError(`label ${v} at image ${i} is not a class index`, what);
    out[i] = v;
  }
  return out;
}
