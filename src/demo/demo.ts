/**
 * `demo`: the whole ReaL method on a simulated benchmark, every stage run
 * through the same file-level functions as its CLI command, every output
 * written (atomically) into one folder:
 *
 *   simulate → propose → gold set + select-models → propose (selected models)
 *   → tasks → simulated raters → aggregate (ds, gold) → evaluate → analyze.
 *
 * The simulated truth is known, so the summary can say how much closer the
 * new labels are to it than the original labels, and whether ReaL accuracy
 * orders the models as their true accuracy does.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { aggregate, type AggregateResult } from '../aggregate/aggregate';
import { analyzeFiles } from '../analyze/files';
import { writeReport } from '../analyze/write-report';
import { UsageError } from '../errors';
import { evaluateFiles } from '../evaluate/files';
import { writeFileAtomicSync } from '../io/atomic';
import { readLabelSets } from '../io/labels';
import { writeNpz } from '../io/npz';
import { readSynsets } from '../io/synsets';
import { writeProposals } from '../propose/io';
import { proposalStats, proposeFiles, type ProposalStats, type Proposals } from '../propose/propose';
import { readGold } from '../subsets/gold';
import { paretoCsv, selectModels, type SelectResult } from '../subsets/subsets';
import { Rng } from '../simulate/rng';
import { simulateFiles, type SimulateFilesResult } from '../simulate/write';
import { tasksToJsonl } from '../tasks/format';
import { readProposalPairs } from '../tasks/read';
import { tasks as makeTasks } from '../tasks/tasks';
import { checkSignal, throwIfAborted } from '../util/abort';
import { now, since } from '../util/timer';
import { demoClasses, synsetText } from './classes';
import { labelChanges, modelRows, recovery, reordering, type LabelChanges, type ModelRow, type Recovery, type Reordering } from './compare';
import { crowd, goldSet } from './crowd';
import { RATERS_PER_TASK } from './raters';
import { makeDirs } from '../io/files';

export const DEMO_DEFAULTS = { images: 50000, classes: 100, models: 16, seed: 0, out: 'realabel-demo' };

/** The simulated models: top-1 accuracy against the truth, spread from worst to best. */
const ACCURACY: [number, number] = [0.72, 0.9];
const CORRELATION = 0.7;
const LABEL_NOISE = 0.05;
const MULTI_LABEL = 0.15;
/** Models lean towards the original label by a random amount in [0, MAX_FIT) (they learnt its quirks). */
const MAX_FIT = 1.2;
/** Pairs per model and criterion, per image. */
const K_PER_IMAGE = 1.5;
const TARGET_RECALL = 0.97;
const STREAM_FIT = 100;

export const STAGES = ['simulate', 'propose', 'select-models', 'tasks', 'raters', 'aggregate', 'evaluate', 'analyze'] as const;
export type Stage = (typeof STAGES)[number];

export interface DemoOptions {
  /** Output folder (created when missing; default ./realabel-demo). */
  out?: string;
  images?: number;
  classes?: number;
  models?: number;
  seed?: number;
  /** Worker threads for simulate and propose (0 = all cores). */
  workers?: number;
  /** Native kernel threads (0 = all cores); never changes a result. */
  threads?: number;
  /** Called when a stage starts. */
  onStage?: (stage: Stage, index: number, total: number) => void;
  /** Called as each stage starts: stages done so far, of the total. */
  onProgress?: (done: number, total: number) => void;
  /** Stops at the next stage or kernel boundary with an AbortError. */
  signal?: AbortSignal;
}

export interface AggregateSummary {
  method: 'ds' | 'gold';
  labels: number;
  images_with_labels: number;
  /** Precision and recall at the threshold on the gold questions that were rated. */
  gold_precision: number | null;
  gold_recall: number | null;
  changes: LabelChanges;
  vs_truth: Recovery;
}

export interface DemoResult {
  out: string;
  images: number;
  classes: number;
  models: number;
  seed: number;
  simulate: { original_error_rate: number; multi_label_images: number; animal_classes: number };
  propose: ProposalRecord;
  gold: { images: number; questions: number; positives: number };
  select: { models: string[]; precision: number; recall: number; proposals_per_image: number; subsets_evaluated: number; reached_target: boolean };
  proposals_selected: ProposalRecord;
  tasks: { tasks: number; rated_images: number; unrated_images: number; rated_pairs: number };
  raters: { raters: number; answers: number; per_task: number; gold_raters: number; gold_answers: number; answers_per_rater: { p10: number; median: number; p90: number } };
  aggregate: { ds: AggregateSummary; gold: AggregateSummary };
  /** The original labels as one-label sets, against the truth. */
  original_vs_truth: Recovery;
  models_table: ModelRow[];
  reordering: Reordering;
  report: string;
  files: Record<string, string>;
  timings_ms: Record<Stage | 'total', number>;
}

/** Proposal statistics as summary.json lays them out. */
export interface ProposalRecord {
  P: number;
  images: number;
  models: number;
  proposals_per_image: { mean: number; max: number };
  all_top1_equal_original: number;
}

function checkSize(name: string, v: number, lo: number, hi: number): void {
  if (!Number.isInteger(v) || v < lo || v > hi) throw new UsageError(`\`${name}\` must be an integer in [${lo}, ${hi}], got ${v}`);
}

/** Runs every stage; returns the summary (also written to OUT/summary.json). */
export async function demo(opts: DemoOptions = {}): Promise<DemoResult> {
  const t0 = now();
  const o = { ...DEMO_DEFAULTS, ...Object.fromEntries(Object.entries(opts).filter(([, v]) => v !== undefined)) } as typeof DEMO_DEFAULTS & DemoOptions;
  checkSize('images', o.images, 100, 2_000_000);
  checkSize('classes', o.classes, 10, 5000);
  checkSize('models', o.models, 2, 24);
  checkSize('seed', o.seed, 0, 2 ** 31 - 1);
  const out = path.resolve(o.out);
  if (fs.existsSync(out) && !fs.statSync(out).isDirectory()) throw new UsageError(`${o.out}: \`out\` is a file, not a folder`);
  makeDirs(out);
  const f = (...p: string[]) => path.join(out, ...p);
  const files: Record<string, string> = {};
  const timings = {} as Record<Stage | 'total', number>;
  let stageStart = now();
  let current: Stage | null = null;
  const stage = (s: Stage) => {
    if (current) timings[current] = since(stageStart);
    current = s;
    stageStart = now();
    throwIfAborted(signal);
    opts.onStage?.(s, STAGES.indexOf(s), STAGES.length);
    opts.onProgress?.(STAGES.indexOf(s), STAGES.length);
  };
  const signal = checkSignal(opts.signal);
  const run = { workers: o.workers, threads: o.threads, signal };

  stage('simulate');
  const classes = demoClasses(o.classes);
  files.synsets = f('synset.txt');
  writeFileAtomicSync(files.synsets, synsetText(classes.synsets));
  const fitRng = new Rng(o.seed, STREAM_FIT);
  const sim = await simulateFiles({
    out: f('simulate'), images: o.images, classes: o.classes, models: o.models, seed: o.seed, accuracy: ACCURACY, correlation: CORRELATION,
    labelNoise: LABEL_NOISE, multiLabel: MULTI_LABEL, originalFit: Array.from({ length: o.models }, () => MAX_FIT * fitRng.next()),
    workers: o.workers, signal,
  });
  Object.assign(files, { simulate: sim.params, truth: sim.truth, original: sim.original });
  const truth = readLabelSets(sim.truth);

  stage('propose');
  const k = Math.round(K_PER_IMAGE * o.images);
  const all = await proposeFiles({ logits: sim.models, original: sim.original, k, ...run });
  files.proposals = f('proposals.npz');
  writeProposals(files.proposals, all.proposals);

  stage('select-models');
  const gold = goldSet(all.proposals, truth, o.seed);
  files.golden = f('golden.npz');
  writeNpz(files.golden, gold.file, { compress: true });
  const selected = selectModels(all.proposals, readGold(files.golden, { minYes: 3 }), { recall: TARGET_RECALL, threads: o.threads });
  files.select = f('select-models.json');
  writeFileAtomicSync(files.select, `${JSON.stringify(selected, null, 2)}\n`);
  files.pareto = f('pareto.csv');
  writeFileAtomicSync(files.pareto, paretoCsv(selected));
  const chosen = selected.best ?? selected.all_models;
  const selectedProposals = await proposeSelected(sim, chosen.model_indices, all.proposals, k, run);
  files.proposals_selected = f('proposals-selected.npz');
  writeProposals(files.proposals_selected, selectedProposals);

  stage('tasks');
  const synsets = readSynsets(files.synsets, { expected: o.classes });
  const t = makeTasks(await readProposalPairs(files.proposals_selected), { classes: synsets, file: files.proposals_selected, classesFile: files.synsets });
  files.tasks = f('tasks.jsonl');
  writeFileAtomicSync(files.tasks, tasksToJsonl(t.tasks));

  stage('raters');
  const answers = crowd(t.tasks, gold, truth, o.seed);
  files.raters = f('raters.npz');
  files.raters_golden = f('raters_golden.npz');
  writeNpz(files.raters, answers.main, { compress: true });
  writeNpz(files.raters_golden, answers.gold, { compress: true });

  stage('aggregate');
  const agg: Record<'ds' | 'gold', AggregateResult> = {} as never;
  for (const method of ['ds', 'gold'] as const) {
    makeDirs(f(`aggregate-${method}`));
    files[`scores_${method}`] = f(`aggregate-${method}`, 'scores.npz');
    files[`real_${method}`] = f(`aggregate-${method}`, 'real.json');
    files[`pr_${method}`] = f(`aggregate-${method}`, 'pr.csv');
    agg[method] = await aggregate({
      answers: files.raters, method, goldAnswers: files.raters_golden, goldTruth: files.golden, goldMinYes: 3,
      // The paper's extra rater for animal classes: "the label is the original label", calibrated on t2.
      pseudoRaters: method === 'gold' ? [{ rule: 'original-label', classes: [0, classes.animals], goldMinYes: 2 }] : [],
      original: sim.original, out: files[`scores_${method}`], labelsOut: files[`real_${method}`], prCurve: files[`pr_${method}`],
      threads: o.threads, signal,
    });
  }
  const sets = { ds: readLabelSets(files.real_ds), gold: readLabelSets(files.real_gold) };
  const original = Int32Array.from(truth, (_, i) => all.proposals.original[i]);

  stage('evaluate');
  const ev = await evaluateFiles({ labels: files.real_gold, predictions: sim.models, original: sim.original, threads: o.threads, signal });
  const evTrue = await evaluateFiles({ labels: sim.truth, predictions: sim.models, threads: o.threads, signal });
  const rows = modelRows(
    ev.models.map((m) => m.name), ev.models.map((m) => m.realTop1 ?? 0), ev.models.map((m) => m.originalTop1 ?? 0),
    evTrue.models.map((m) => m.realTop1 ?? 0),
  );
  files.evaluate = f('evaluate.json');
  writeFileAtomicSync(files.evaluate, `${JSON.stringify({ labels: files.real_gold, models: rows }, null, 2)}\n`);

  stage('analyze');
  const analysis = await analyzeFiles({ labels: files.real_gold, original: sim.original, predictions: sim.models, synsets: files.synsets, threads: o.threads, signal });
  const report = await writeReport(analysis, f('report'), { inputs: { labels: files.real_gold, original: sim.original, synsets: files.synsets } });
  files.report = report.report;
  timings.analyze = since(stageStart);
  timings.total = since(t0);

  const result: DemoResult = {
    out, images: o.images, classes: o.classes, models: o.models, seed: o.seed,
    simulate: { original_error_rate: sim.summary.original_error_rate, multi_label_images: truth.filter((s) => s.length > 1).length, animal_classes: classes.animals },
    propose: statsRecord(proposalStats(all.proposals)),
    gold: { images: gold.images, questions: gold.image.length, positives: gold.positives },
    select: summarizeSelect(selected),
    proposals_selected: statsRecord(proposalStats(selectedProposals)),
    tasks: { tasks: t.summary.tasks, rated_images: t.summary.ratedImages, unrated_images: t.summary.unratedImages, rated_pairs: t.summary.ratedPairs },
    raters: {
      raters: answers.raters, answers: answers.answers, per_task: RATERS_PER_TASK, gold_raters: answers.goldRaters, gold_answers: answers.goldAnswers,
      answers_per_rater: answers.answersPerRater,
    },
    aggregate: {
      ds: summarizeAggregate('ds', agg.ds, sets.ds, original, truth),
      gold: summarizeAggregate('gold', agg.gold, sets.gold, original, truth),
    },
    original_vs_truth: recovery(Array.from(original, (l) => [l]), truth),
    models_table: rows,
    reordering: reordering(rows),
    report: report.report,
    files,
    timings_ms: timings,
  };
  throwIfAborted(signal);
  files.summary = f('summary.json');
  writeFileAtomicSync(files.summary, `${JSON.stringify(result, null, 2)}\n`);
  return result;
}

/** Proposals of the selected models only (the same proposals when every model is selected). */
async function proposeSelected(
  sim: SimulateFilesResult, indices: number[], all: Proposals, k: number, run: { workers?: number; threads?: number },
): Promise<Proposals> {
  if (indices.length === sim.models.length) return all;
  const r = await proposeFiles({ logits: indices.map((m) => sim.models[m]), original: sim.original, k, ...run });
  return r.proposals;
}

/** The summary's (summary.json's) layout of the proposal statistics. */
function statsRecord(s: ProposalStats): ProposalRecord {
  return { P: s.P, images: s.images, models: s.models, proposals_per_image: s.proposalsPerImage, all_top1_equal_original: s.allTop1EqualOriginal };
}

function summarizeSelect(r: SelectResult): DemoResult['select'] {
  const s = r.best ?? r.all_models;
  return {
    models: s.models, precision: s.precision, recall: s.recall, proposals_per_image: s.proposals_per_image,
    subsets_evaluated: r.subsets_evaluated, reached_target: r.best !== null,
  };
}

function summarizeAggregate(method: 'ds' | 'gold', r: AggregateResult, sets: number[][], original: Int32Array, truth: number[][]): AggregateSummary {
  // Points ascend by threshold: the first at or above it selects "score >= threshold".
  const at = r.prPoints?.find((p) => p.threshold >= (r.threshold ?? 0));
  return {
    method,
    labels: r.labels?.labels ?? 0,
    images_with_labels: r.labels?.imagesWithLabels ?? 0,
    gold_precision: at?.precision ?? null,
    gold_recall: at?.recall ?? null,
    changes: labelChanges(sets, original, truth),
    vs_truth: recovery(sets, truth),
  };
}
