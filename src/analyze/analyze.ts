/**
 * `analyze`: the paper's analyses on in-memory data. Returns plain data
 * (JSON-ready); `writeReport` turns it into CSVs, charts and an HTML page.
 */
import { UsageError } from '../errors';
import type { Backend } from '../native/addon';
import { DEFAULT_CLASSES, checkOriginal, modelResult, scoreAll, type ModelResult } from '../evaluate/evaluate';
import { scoreSourceAsync } from '../evaluate/score';
import { checkSignal } from '../util/abort';
import { indexLabelSets, type LabelIndex } from '../evaluate/label-index';
import { isScoreInput, sourceFromInput, type PredictionInput } from '../evaluate/sources';
import { displayNames } from './names';
import { labelMultiplicity, type Multiplicity } from './multiplicity';
import { coOccurring, unbiasedOracle, type CoOccurrence } from './oracle';
import { beatsOracle, modelPerClass, type ModelPerClass, type OracleComparison } from './per-class';
import { accuracySlopes, type SlopeAnalysis } from './slopes';

export interface ClassInfo {
  index: number;
  /** WordNet id, when synsets were given. */
  wnid: string | null;
  /** Display name: the synset's first name (made unique), else "class i". */
  name: string;
}

export interface AnalyzeOptions {
  labels: ArrayLike<ArrayLike<number>>;
  original: ArrayLike<number>;
  /** One entry per model: top-1 classes [N] or a row-major score matrix. */
  predictions?: PredictionInput[];
  names?: string[];
  /** Per-class synsets ({ wnid, name } with name "a, b, c"), for readable output. */
  synsets?: Array<{ wnid: string; name: string }>;
  numClasses?: number;
  /** Oracle accuracy below which a class's co-occurring classes are listed (default 0.9). */
  oracleThreshold?: number;
  /** Co-occurring classes listed per low-oracle class (default 5). */
  coOccurring?: number;
  /** Most frequent label pairs listed (default 20). */
  topPairs?: number;
  backend?: Backend;
  threads?: number;
}

/** A model's row of the analysis (the report's column names). */
export interface ModelSummary {
  name: string;
  file?: string;
  kind: 'top1' | 'scores';
  real_top1: number | null;
  real_top5: number | null;
  original_top1: number | null;
  original_top5: number | null;
  real_strict: number | null;
  n_scored: number;
  n_skipped: number;
  classes_beating_oracle: number;
}

export interface LowOracleClass {
  class: number;
  accuracy: number;
  /** Labelled images of the class. */
  n: number;
  /** Of those, images whose set confirms the class (the co-occurrence base). */
  base: number;
  cooccurring: CoOccurrence[];
}

export interface AnalysisResult {
  num_classes: number;
  n_images: number;
  n_scored: number;
  n_skipped: number;
  classes: ClassInfo[];
  models: ModelSummary[];
  per_class: {
    n_original: number[];
    n_real: number[];
    oracle: (number | null)[];
    oracle_n: number[];
    models: ModelPerClass[];
  };
  oracle: { overall: number; threshold: number; n_below: number; below: LowOracleClass[] };
  beats_oracle: OracleComparison[];
  slopes: SlopeAnalysis;
  multiplicity: Multiplicity;
}

export interface AnalyzeTuning {
  oracleThreshold?: number;
  coOccurring?: number;
  topPairs?: number;
}

/** The analyses of in-memory inputs; models are scored chunk by chunk, the event loop running in between. */
export async function analyze(opts: AnalyzeOptions & { signal?: AbortSignal }): Promise<AnalysisResult> {
  const signal = checkSignal(opts.signal);
  const { c, labels, original, sources } = inputs(opts);
  const models: ModelResult[] = [];
  for (const s of sources) models.push(modelResult(s, await scoreSourceAsync(s, labels, original, c, { ...opts, signal })));
  return analyzeScored(labels, original, models, classInfo(c, opts.synsets), opts);
}

/** `analyze` on the calling thread (scripts): the same result. */
export function analyzeSync(opts: AnalyzeOptions): AnalysisResult {
  const { c, labels, original, sources } = inputs(opts);
  return analyzeScored(labels, original, scoreAll(sources, labels, original, c, opts), classInfo(c, opts.synsets), opts);
}

function inputs(opts: AnalyzeOptions) {
  const preds = opts.predictions ?? [];
  const c = opts.numClasses ?? (opts.synsets?.length || preds.filter(isScoreInput)[0]?.numClasses || DEFAULT_CLASSES);
  const labels = indexLabelSets(opts.labels, c, 'labels');
  if (!opts.original) throw new UsageError('`original` labels are required', 'original');
  const original = checkOriginal(opts.original, labels.n, c, 'original');
  const sources = preds.map((p, i) => sourceFromInput(p, opts.names?.[i] ?? `model ${i + 1}`));
  return { c, labels, original, sources };
}

export function classInfo(c: number, synsets?: Array<{ wnid: string; name: string }>): ClassInfo[] {
  if (synsets && synsets.length !== c) {
    throw new UsageError(`synsets list ${synsets.length} classes but the data has ${c}`);
  }
  const names = synsets ? displayNames(synsets) : null;
  return Array.from({ length: c }, (_, i) => ({
    index: i,
    wnid: synsets ? synsets[i].wnid : null,
    name: names ? names[i] : `class ${i}`,
  }));
}

/** The analyses, given scored models (shared by the in-memory and file front ends). */
export function analyzeScored(
  labels: LabelIndex,
  original: Int32Array,
  models: ModelResult[],
  classes: ClassInfo[],
  tuning: AnalyzeTuning = {},
): AnalysisResult {
  const c = classes.length;
  const threshold = tuning.oracleThreshold ?? 0.9;
  const oracle = unbiasedOracle(labels, original, c);
  const perModel = models.map((m) => modelPerClass(m, labels, original, c));
  const beats = perModel.map((pc) => beatsOracle(pc, oracle.perClass, oracle.n));
  const counts = classCounts(labels, original, c);
  return {
    num_classes: c,
    n_images: labels.n,
    n_scored: counts.scored,
    n_skipped: labels.n - counts.scored,
    classes,
    models: models.map((m, i) => summary(m, beats[i].n_classes)),
    per_class: {
      n_original: Array.from(counts.original),
      n_real: Array.from(counts.real),
      oracle: Array.from(oracle.perClass, (x) => (Number.isNaN(x) ? null : x)),
      oracle_n: Array.from(oracle.n),
      models: perModel,
    },
    oracle: { overall: oracle.overall, threshold, ...lowOracle(labels, original, oracle.perClass, oracle.n, threshold, tuning.coOccurring ?? 5) },
    beats_oracle: beats,
    slopes: accuracySlopes(
      models
        .filter((m) => m.originalTop1 !== null && m.realTop1 !== null)
        .map((m) => ({ name: m.name, original: m.originalTop1!, real: m.realTop1! })),
    ),
    multiplicity: labelMultiplicity(labels, c, tuning.topPairs ?? 20),
  };
}

function summary(m: ModelResult, beating: number): ModelSummary {
  // The analysis tables keep the report's column names (its CSV and JSON layout).
  return {
    name: m.name, file: m.file, kind: m.kind, real_top1: m.realTop1, real_top5: m.realTop5, original_top1: m.originalTop1,
    original_top5: m.originalTop5, real_strict: m.realStrict, n_scored: m.nScored, n_skipped: m.nSkipped, classes_beating_oracle: beating,
  };
}

function classCounts(labels: LabelIndex, original: Int32Array, c: number) {
  const orig = new Int32Array(c);
  const real = new Int32Array(c);
  let scored = 0;
  for (let i = 0; i < labels.n; i++) {
    orig[original[i]]++;
    if (labels.offsets[i + 1] > labels.offsets[i]) scored++;
  }
  for (const l of labels.labels) real[l]++;
  return { original: orig, real, scored };
}

function lowOracle(labels: LabelIndex, original: Int32Array, acc: Float64Array, n: Int32Array, threshold: number, limit: number) {
  const low: number[] = [];
  for (let c = 0; c < acc.length; c++) if (acc[c] < threshold) low.push(c);
  low.sort((a, b) => acc[a] - acc[b] || a - b);
  const co = coOccurring(labels, original, low, limit);
  const below = low.map((c) => ({ class: c, accuracy: acc[c], n: n[c], base: co.get(c)!.base, cooccurring: co.get(c)!.top }));
  return { n_below: below.length, below };
}

