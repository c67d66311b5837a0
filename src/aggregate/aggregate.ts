/**
 * `aggregate`: crowd answers in, posteriors out, with any method
 * (mv, ds, one-coin, gold), optional gold answers for the operating point,
 * and the outputs of `realabel aggregate`. Inputs are files or, for a
 * service, typed arrays (memory.ts); outputs are written only when named.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { UsageError, ValidationError } from '../errors';
import { writeFileAtomicSync } from '../io/atomic';
import { defaultMode, readAnswers, withKnownWorkers, type AnswerTable, type OnDuplicate } from '../io/answers';
import { writeLabelSets, type LabelSets } from '../io/labels';
import type { NdArray } from '../io/npy';
import { writeNpz } from '../io/npz';
import { answerTable, isAnswersInput, originalOf, type AnswersInput } from './memory';
import type { Backend } from '../native/addon';
import { now, since } from '../util/timer';
import { checkSignal, throwIfAborted } from '../util/abort';
import { goldScoreAsync, majorityVoteAsync } from '../util/kernels';
import { DEFAULT_MAX_ITER, defaultTol, fitEmAsync } from './ds';
import { STOP_RULES, type StopRule } from './em-stop';
import type { EmResult } from './em';
import { goldParams, type GoldScoreInput, type PseudoRater } from './gold';
import { prCurve, prCurveCsv, thresholdForPrecision, type PrPoint } from './pr';
import { modeSpec, type Mode, type ModeSpec } from './problem';
import { alignTruth, expertPlurality, expertTruth, labelSetsAsync, originalLabelAnswers, questionPairs, readOriginalLabels, REAL_THRESHOLD, type QuestionPairs } from './real';
import { readGoldTruth, type GoldTruth } from './truth';
import { unicodeWidth } from '../util/extent';

// src/cluster loads bullmq and ioredis: load it only when `cluster` is given, so
// that `require('realabel')` stays light (test/api/lazy-cluster.test.ts).
const clusterAggregate = () => import('../cluster/aggregate');

export type Method = 'mv' | 'ds' | 'one-coin' | 'gold';

/** A pseudo-rater rule: `original-label[,classes=LO-HI][,gold-min-yes=N]`. */
export interface PseudoRaterSpec {
  rule: 'original-label';
  /** Labels it answers on main questions, [lo, hi). */
  classes?: [number, number];
  /** Its calibration truth: at least this many experts said yes (default: the workers' truth). */
  goldMinYes?: number;
}

export interface AggregateOptions {
  /** An answers file (raters.npz layout, CSV, JSONL) or answers in memory. */
  answers: string | AnswersInput;
  method: Method;
  mode?: Mode;
  alphabet?: string[];
  onDuplicate?: OnDuplicate;
  maxIter?: number;
  /** ds / one-coin: when EM stops early, 'log-likelihood' (default) or 'posterior' (docs/aggregate.md). */
  stop?: StopRule;
  /** The stopping rule's tolerance (default 1e-5 for 'log-likelihood', 1e-7 for 'posterior'); 0 runs exactly maxIter. */
  tol?: number;
  smoothing?: number;
  /** Crowd answers on the gold questions: a file, or in memory (workers matched to the main ones by name). */
  goldAnswers?: string | AnswersInput;
  /**
   * Gold truth: a file; expert answers in memory (reduced by goldMinYes); or
   * one class per gold question in goldAnswers' order (verification: 1
   * present, 0 absent; -1 unknown).
   */
  goldTruth?: string | AnswersInput | ArrayLike<number>;
  /** Expert majority rule for the gold truth (verification: yes count). */
  goldMinYes?: number;
  pseudoRaters?: PseudoRaterSpec[];
  threshold?: number;
  targetPrecision?: number;
  /** Original labels: an .npy file or one class per image; unrated images keep theirs. */
  original?: string | ArrayLike<number>;
  labelsOut?: string;
  prCurve?: string;
  /**
   * Verification: scores .npz (tensor, info). Categorical: CSV task,label,confidence,
   * or the same three arrays as .npz (`task`, `label`, `confidence`).
   * Nothing is written when absent.
   */
  out?: string;
  /**
   * The full posterior, as crowd-kit's fit_predict_proba: CSV with `task` and
   * one column per label (in `classes` order), or .npz with `task` [Q],
   * `label` [K] and `probs` [Q, K] (float64).
   */
  probsOut?: string;
  threads?: number;
  backend?: Backend;
  /** Stops between phases and kernel calls with an AbortError; nothing is written once it has fired. */
  signal?: AbortSignal;
  /** redis://HOST:PORT: fit on realabel cluster workers (src/cluster); the outputs are byte-identical. */
  cluster?: string;
  /** Cluster shards (default one per live worker) and the shared folder for their outputs. */
  clusterShards?: number;
  clusterScratch?: string;
}

export interface AggregateResult {
  mode: Mode;
  method: Method;
  questions: number;
  answers: number;
  workers: number;
  /** Verification: posterior of "present"; categorical: questions × classes. */
  posterior: Float64Array;
  classes: string[];
  iterations: number;
  converged: boolean;
  logLikelihood: number | null;
  logLikelihoodPerIteration: number[];
  gold?: { questions: number; positives?: number; scored: number };
  threshold?: number;
  thresholdFrom?: 'option' | 'target-precision';
  operatingPoint?: PrPoint;
  labels?: { images: number; labels: number; imagesWithLabels: number };
  /** Verification with original labels: the label sets (real.json layout). */
  sets?: LabelSets;
  /** With gold answers (verification): precision and recall on the gold questions for every threshold. */
  prPoints?: PrPoint[];
  outputs: string[];
  timingsMs: { read: number; fit: number; write: number };
}

export async function aggregate(opts: AggregateOptions): Promise<AggregateResult> {
  const signal = checkSignal(opts.signal);
  checkOptions(opts);
  if (opts.cluster) await (await clusterAggregate()).checkClusterInput(opts.cluster, opts.answers, opts.original, Boolean(opts.pseudoRaters?.length), opts.backend);
  let t0 = now();
  const answers = isAnswersInput(opts.answers)
    ? answerTable({ ...opts.answers, alphabet: opts.answers.alphabet ?? opts.alphabet }, 'answers')
    : await readAnswers(opts.answers, { mode: opts.mode, alphabet: opts.alphabet, onDuplicate: opts.onDuplicate });
  const mode = opts.mode ?? (isAnswersInput(opts.answers) ? 'verification' : defaultMode(answers.format));
  // A header alone (or an empty tensor) is not a crowd: nothing to fit, and no output that means anything.
  if (answers.question.length === 0) throw new ValidationError('has no answers (a header alone is not an answer table)', answers.file);
  if (mode === 'categorical' && (opts.labelsOut || opts.prCurve || opts.targetPrecision !== undefined || opts.pseudoRaters?.length)) {
    throw new UsageError('`labelsOut`, `prCurve`, `targetPrecision` and `pseudoRaters` need verification mode');
  }
  const spec = modeSpec(mode, answers.alphabet);
  const gold = opts.goldAnswers ? await readGold(opts, answers, mode) : null;
  const original = opts.original === undefined ? null : typeof opts.original === 'string' ? readOriginalLabels(opts.original) : originalOf(opts.original, 'original');
  const read = since(t0);

  t0 = now();
  throwIfAborted(signal);
  const fit = opts.cluster ? await fitOnCluster(opts, answers, spec, gold, original) : await fitMethod(opts, answers, spec, gold, original);
  const scores = mode === 'verification' ? column(fit.posterior, 2, 1) : null;
  let threshold = opts.threshold ?? REAL_THRESHOLD;
  let thresholdFrom: AggregateResult['thresholdFrom'] = 'option';
  let points: PrPoint[] | null = null;
  let operatingPoint: PrPoint | undefined;
  let goldSummary: AggregateResult['gold'];
  if (gold) {
    const at = questionIndex(answers);
    const goldQ = gold.answers.tasks.map((t) => at.get(t) ?? -1);
    goldSummary = { questions: goldQ.length, scored: goldQ.filter((q) => q >= 0).length };
    if (scores) {
      goldSummary.positives = gold.truth.filter((t) => t === 1).length;
      const s = goldQ.filter((q) => q >= 0).map((q) => scores[q]);
      const tr = Array.from(gold.truth).filter((_, i) => goldQ[i] >= 0);
      points = prCurve(s, tr);
      if (opts.targetPrecision !== undefined) {
        const p = thresholdForPrecision(points, opts.targetPrecision);
        if (!p) throw new ValidationError(`no threshold reaches precision ${opts.targetPrecision} on the ${s.length} gold questions`, gold.answers.file);
        threshold = p.threshold;
        thresholdFrom = 'target-precision';
        operatingPoint = p;
      }
    }
  }
  const sets = scores && original ? await labelSetsAsync(pairsOf(opts, answers), scores, threshold, original, originalName(opts), signal) : null;
  const fitMs = since(t0);

  t0 = now();
  throwIfAborted(signal);
  const outputs = writeOutputs(opts, answers, spec, fit.posterior, scores, sets, points);
  const write = since(t0);
  const perIteration = fit.em ? Array.from(fit.em.logLikelihood) : fit.logLikelihood !== undefined ? [fit.logLikelihood] : [];
  return {
    mode,
    method: opts.method,
    questions: answers.numQuestions,
    answers: answers.question.length,
    workers: answers.numWorkers,
    posterior: scores ?? fit.posterior,
    classes: spec.classes,
    iterations: fit.em?.iterations ?? (opts.method === 'mv' ? 0 : 1),
    converged: fit.em?.converged ?? true,
    logLikelihood: perIteration.length ? perIteration[perIteration.length - 1] : null,
    logLikelihoodPerIteration: perIteration,
    gold: goldSummary,
    threshold: scores ? threshold : undefined,
    thresholdFrom: scores ? thresholdFrom : undefined,
    operatingPoint,
    labels: sets ? { images: sets.length, labels: sets.reduce((s, l) => s + l.length, 0), imagesWithLabels: sets.filter((l) => l.length).length } : undefined,
    sets: sets ?? undefined,
    prPoints: points ?? undefined,
    outputs,
    timingsMs: { read, fit: fitMs, write },
  };
}

/** The (image, label) of every question: given in memory, or parsed from the task names. */
function pairsOf(opts: AggregateOptions, answers: AnswerTable): QuestionPairs {
  const given = opts.answers;
  if (isAnswersInput(given) && given.image && given.label && !given.tasks) return { image: given.image, label: given.label };
  return questionPairs(answers);
}

/** The original labels' name in error messages. */
function originalName(o: AggregateOptions): string | undefined {
  return o.original === undefined ? undefined : typeof o.original === 'string' ? o.original : 'original';
}

function checkOptions(o: AggregateOptions): void {
  if (!['mv', 'ds', 'one-coin', 'gold'].includes(o.method)) throw new UsageError(`\`method\` must be mv, ds, one-coin or gold, got '${o.method}'`);
  if (Boolean(o.goldAnswers) !== Boolean(o.goldTruth)) throw new UsageError('`goldAnswers` and `goldTruth` go together');
  if (o.method === 'gold' && !o.goldAnswers) throw new UsageError('`method` gold needs `goldAnswers` and `goldTruth`');
  if ((o.prCurve || o.targetPrecision !== undefined) && !o.goldAnswers) throw new UsageError('`prCurve` and `targetPrecision` need `goldAnswers` and `goldTruth`');
  if (o.labelsOut && o.original === undefined) throw new UsageError('`labelsOut` needs `original` (unrated images keep their original label)');
  if (o.pseudoRaters?.length && o.method !== 'gold') throw new UsageError('`pseudoRaters` only applies to `method` gold');
  if (o.pseudoRaters?.length && o.original === undefined) throw new UsageError('`pseudoRaters` original-label needs `original`');
  if (o.targetPrecision !== undefined && !(o.targetPrecision >= 0 && o.targetPrecision <= 1)) throw new UsageError('`targetPrecision` must be in [0, 1]');
  if (o.stop !== undefined && !STOP_RULES.includes(o.stop)) throw new UsageError(`\`stop\` must be ${STOP_RULES.join(' or ')}, got '${String(o.stop)}'`);
  // Refuse before any work if an output folder is missing, so nothing is left half-written.
  for (const f of [o.out, o.probsOut, o.labelsOut, o.prCurve]) {
    if (!f) continue;
    const dir = path.dirname(path.resolve(f));
    if (!fs.existsSync(dir) || !fs.statSync(dir).isDirectory()) throw new UsageError(`${f}: the output folder does not exist`);
    if (fs.existsSync(f) && fs.statSync(f).isDirectory()) throw new UsageError(`${f}: is a folder, not a file`);
  }
}

interface Gold {
  answers: AnswerTable;
  truth: Int32Array;
  truthTasks: string[];
  experts?: AnswerTable;
  truthFile: string;
}

async function readGold(opts: AggregateOptions, main: AnswerTable, mode: Mode): Promise<Gold> {
  const given = opts.goldAnswers!;
  const answers = isAnswersInput(given)
    ? withKnownWorkers(answerTable({ ...given, alphabet: given.alphabet ?? main.alphabet }, 'gold answers'), main.workers)
    : await readAnswers(given, { mode, alphabet: main.alphabet, onDuplicate: opts.onDuplicate, knownWorkers: main.workers });
  const t = await goldTruth(opts, answers, main, mode);
  return { answers, truth: alignTruth(answers, t.tasks, t.truth, t.file), truthTasks: t.tasks, experts: t.experts, truthFile: t.file };
}

/** Gold truth from a file, from expert answers in memory, or given per gold question. */
async function goldTruth(opts: AggregateOptions, answers: AnswerTable, main: AnswerTable, mode: Mode): Promise<GoldTruth> {
  const t = opts.goldTruth!;
  if (typeof t === 'string') return readGoldTruth(t, { mode, alphabet: main.alphabet, minYes: opts.goldMinYes });
  if (isAnswersInput(t)) {
    const experts = answerTable({ ...t, alphabet: t.alphabet ?? main.alphabet }, 'gold truth');
    const truth = mode === 'verification' ? expertTruth(experts, opts.goldMinYes) : expertPlurality(experts, opts.goldMinYes);
    return { file: 'gold truth', tasks: experts.tasks, truth, experts };
  }
  const K = mode === 'verification' ? 2 : main.alphabet.length;
  if (t.length !== answers.numQuestions) throw new ValidationError(`has ${t.length} values for ${answers.numQuestions} gold questions`, 'gold truth');
  const truth = Int32Array.from(t, (v, i) => {
    if (!Number.isInteger(v) || v < -1 || v >= K) throw new ValidationError(`value ${v} of gold question ${i} is not -1 or a class in [0, ${K})`, 'gold truth');
    return v;
  });
  return { file: 'gold truth', tasks: answers.tasks, truth };
}

interface Fit {
  posterior: Float64Array;
  em?: EmResult;
  logLikelihood?: number;
}

/** Fits the method, awaiting its kernels. */
async function fitMethod(opts: AggregateOptions, answers: AnswerTable, spec: ModeSpec, gold: Gold | null, original: Int32Array | null): Promise<Fit> {
  const { backend, threads, signal } = opts;
  const em = { spec, maxIter: opts.maxIter ?? DEFAULT_MAX_ITER, stop: opts.stop, tol: opts.tol ?? defaultTol(opts.stop), smoothing: opts.smoothing ?? 0, threads, backend, signal };
  switch (opts.method) {
    case 'mv':
      return { posterior: await majorityVoteAsync(answers, { spec, backend, signal }) };
    case 'ds':
    case 'one-coin': {
      const [r] = await fitEmAsync([answers], em, opts.method === 'ds' ? 0 : 1);
      return { posterior: r.posterior, em: r };
    }
    case 'gold': {
      const r = await goldScoreAsync({ ...goldInput(opts, answers, spec, gold!, original), signal });
      return { posterior: r.posterior, logLikelihood: r.logLikelihood };
    }
  }
}

function goldInput(opts: AggregateOptions, answers: AnswerTable, spec: ModeSpec, gold: Gold, original: Int32Array | null): GoldScoreInput {
  const pseudo = (opts.pseudoRaters ?? []).map((p) => pseudoRater(p, answers, gold, spec, original!, opts));
  return { answers, gold: gold.answers, truth: gold.truth, spec, pseudoRaters: pseudo, smoothing: opts.smoothing ?? 1, threads: opts.threads, backend: opts.backend };
}

/** The same fit on cluster workers (src/cluster/aggregate.ts). */
async function fitOnCluster(opts: AggregateOptions, answers: AnswerTable, spec: ModeSpec, gold: Gold | null, original: Int32Array | null): Promise<Fit> {
  const g = opts.method === 'gold' ? goldParams(goldInput(opts, answers, spec, gold!, original)) : null;
  const { aggregateOnCluster } = await clusterAggregate();
  return aggregateOnCluster({
    cluster: opts.cluster!, method: opts.method, answersFile: opts.answers as string, mode: spec.mode, alphabet: opts.alphabet, onDuplicate: opts.onDuplicate,
    table: answers, spec, maxIter: opts.maxIter ?? DEFAULT_MAX_ITER, stop: opts.stop, tol: opts.tol ?? defaultTol(opts.stop), smoothing: opts.smoothing ?? (opts.method === 'gold' ? 1 : 0),
    threads: opts.threads, backend: opts.backend, shards: opts.clusterShards,
    scratch: opts.clusterScratch ?? (opts.out ? path.dirname(path.resolve(opts.out)) : undefined),
    gold: g ? { prior: g.prior, confusion: g.confusion, pseudo: (opts.pseudoRaters ?? []).map((p) => ({ classes: p.classes })), original: opts.original as string | undefined } : undefined,
  });
}

function pseudoRater(p: PseudoRaterSpec, main: AnswerTable, gold: Gold, spec: ModeSpec, original: Int32Array, opts: AggregateOptions): PseudoRater {
  if (spec.mode !== 'verification') throw new UsageError('`pseudoRaters` original-label needs verification mode');
  let truth: Int32Array | undefined;
  if (p.goldMinYes !== undefined) {
    if (!gold.experts) throw new UsageError('`pseudoRaters` goldMinYes needs expert answers as `goldTruth`');
    truth = alignTruth(gold.answers, gold.truthTasks, expertTruth(gold.experts, p.goldMinYes), gold.truthFile);
  }
  return {
    name: p.rule,
    main: originalLabelAnswers(questionPairs(main), original, spec.numAnswers, p.classes, originalName(opts)),
    gold: originalLabelAnswers(questionPairs(gold.answers), original, spec.numAnswers, undefined, originalName(opts)),
    truth,
  };
}

function questionIndex(t: AnswerTable): Map<string, number> {
  const m = new Map<string, number>();
  t.tasks.forEach((task, q) => m.set(task, q));
  return m;
}

function column(post: Float64Array, K: number, k: number): Float64Array {
  const out = new Float64Array(post.length / K);
  for (let q = 0; q < out.length; q++) out[q] = post[q * K + k];
  return out;
}

/** Builds every output in memory first, then writes them; a failed write removes the ones already written. */
function writeOutputs(
  opts: AggregateOptions, answers: AnswerTable, spec: ModeSpec, posterior: Float64Array, scores: Float64Array | null,
  sets: LabelSets | null, points: PrPoint[] | null,
): string[] {
  const writes: Array<[string, () => void]> = [];
  const out = opts.out;
  if (out && scores) {
    const info = answers.info ?? taskInfo(answers.tasks);
    writes.push([out, () => writeNpz(out, { tensor: { dtype: 'f8', shape: [scores.length], data: scores }, info }, { compress: true })]);
  } else if (out && isNpz(out)) {
    writes.push([out, () => writeNpz(out, categoricalArrays(answers.tasks, posterior, spec.classes), { compress: true })]);
  } else if (out) {
    const csv = categoricalCsv(answers.tasks, posterior, spec.classes);
    writes.push([out, () => writeFileAtomicSync(out, csv)]);
  }
  const probsOut = opts.probsOut;
  if (probsOut && isNpz(probsOut)) {
    const K = spec.classes.length;
    // A copy: the kernel's array may come from another realm (the addon's), which the npy writer's type check refuses.
    const probs = { dtype: 'f8', shape: [answers.numQuestions, K], data: new Float64Array(posterior) } as NdArray;
    writes.push([probsOut, () => writeNpz(probsOut, { task: strings(answers.tasks), label: strings(spec.classes), probs }, { compress: true })]);
  } else if (probsOut) {
    const csv = probsCsv(answers.tasks, posterior, spec.classes);
    writes.push([probsOut, () => writeFileAtomicSync(probsOut, csv)]);
  }
  const labelsOut = opts.labelsOut;
  if (sets && labelsOut) writes.push([labelsOut, () => writeLabelSets(labelsOut, sets)]);
  if (opts.prCurve && points) {
    const csv = prCurveCsv(points);
    writes.push([opts.prCurve, () => writeFileAtomicSync(opts.prCurve!, csv)]);
  }
  const done: string[] = [];
  try {
    for (const [file, write] of writes) {
      write();
      done.push(file);
    }
  } catch (err) {
    for (const f of done) fs.rmSync(f, { force: true });
    throw err;
  }
  return done;
}

/** info for answers that came from CSV/JSONL: one task name per row, [Q, 1]. */
function taskInfo(tasks: string[]): NdArray {
  return { dtype: `U${unicodeWidth(tasks)}`, shape: [tasks.length, 1], data: tasks };
}

function isNpz(file: string): boolean {
  return path.extname(file).toLowerCase() === '.npz';
}

/** A 1-D numpy unicode array (dtype U<longest>). */
function strings(values: string[]): NdArray {
  return { dtype: `U${unicodeWidth(values)}`, shape: [values.length], data: values };
}

/** The argmax class of each question (ties: the first, as the CSV). */
function argmax(posterior: Float64Array, q: number, K: number): number {
  let best = 0;
  for (let k = 1; k < K; k++) if (posterior[q * K + k] > posterior[q * K + best]) best = k;
  return best;
}

/** task, label, confidence as arrays: the CSV's columns, for a categorical `out` ending in .npz. */
function categoricalArrays(tasks: string[], posterior: Float64Array, classes: string[]): Record<string, NdArray> {
  const K = classes.length;
  const best = tasks.map((_, q) => argmax(posterior, q, K));
  const confidence = Float64Array.from(best, (k, q) => posterior[q * K + k]);
  return { task: strings(tasks), label: strings(best.map((k) => classes[k])), confidence: { dtype: 'f8', shape: [tasks.length], data: confidence } as NdArray };
}

/** task,<label 1>,...,<label K>: every class's posterior (crowd-kit's fit_predict_proba layout). */
export function probsCsv(tasks: string[], posterior: Float64Array, classes: string[]): string {
  const K = classes.length;
  const lines = [['task', ...classes].map(csvField).join(',')];
  tasks.forEach((task, q) => {
    const row = [csvField(task)];
    for (let k = 0; k < K; k++) row.push(String(posterior[q * K + k]));
    lines.push(row.join(','));
  });
  return `${lines.join('\n')}\n`;
}

/** task,label,confidence: the argmax class (ties: the first) and its posterior. */
export function categoricalCsv(tasks: string[], posterior: Float64Array, classes: string[]): string {
  const K = classes.length;
  const lines = ['task,label,confidence'];
  tasks.forEach((task, q) => {
    let best = 0;
    for (let k = 1; k < K; k++) if (posterior[q * K + k] > posterior[q * K + best]) best = k;
    lines.push(`${csvField(task)},${csvField(classes[best])},${posterior[q * K + best]}`);
  });
  return `${lines.join('\n')}\n`;
}

function csvField(s: string): string {
  return /[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}
