/**
 * Simulated classifiers for tests, benches and demos: M models' logits [N, C]
 * and an original (noisy, single) label per image, drawn around a multi-label
 * truth (generated, or real.json's label sets).
 *
 * Model m's logit for image i, class j:
 *   scale * (sqrt(rho) * z[i, j] + sqrt(1 - rho) * e_m[i, j] + signal_m * [j in truth_i]
 *            + fit_m * [j = original_i]) + offset_m[i]
 * z is shared by all models (inter-model correlation rho), e_m is the model's
 * own noise, offset_m[i] a per-row shift (it changes the logit ranking across
 * images but not the probabilities). signal_m is calibrated so the model's
 * top-1 lies in the truth set with probability `accuracy`; `confidence` is the
 * logit scale (sharper softmax). fit_m (`originalFit`, default 0) models a
 * network that has learnt the original labels' quirks: it leans towards the
 * original label, right or wrong: at the same accuracy against the truth
 * (the calibration includes the fit), it agrees more with the original labels.
 *
 * Deterministic given the seed: every chunk of CHUNK_ROWS rows has its own
 * random streams, so row ranges can be generated in any order, by any worker.
 */
import { UsageError } from '../errors';
import { Rng } from './rng';

export const CHUNK_ROWS = 256;

export interface SimulateOptions {
  /** Images N (with `truth`: at most its length; default all of it). */
  images?: number;
  classes?: number;
  models: number;
  /** Multi-label truth (e.g. real.json's sets); generated when absent. */
  truth?: number[][];
  seed?: number;
  /** Target top-1 accuracy against the truth: one value, or [worst, best] spread over the models. */
  accuracy?: number | [number, number];
  /** Logit scale: higher means more confident (peakier softmax). */
  confidence?: number;
  /** Correlation of the noise between models, in [0, 1]. */
  correlation?: number;
  /** Probability that the original label is a wrong class. */
  labelNoise?: number;
  /** Generated truth only: fraction of images with 2 or 3 true labels. */
  multiLabel?: number;
  /** Standard deviation of the per-row logit offset. */
  rowOffset?: number;
  /** Extra signal on the original label: one value, or one per model (default 0). */
  originalFit?: number | number[];
}

/** Everything needed to generate any row range (structured-cloneable for workers). */
export interface SimulationPlan {
  n: number;
  c: number;
  models: number;
  seed: number;
  scale: number;
  rho: number;
  rowOffset: number;
  labelNoise: number;
  /** Per-model extra signal on the original label. */
  originalFit: number[];
  /** Per-model calibrated signal and its target / sample accuracy and mean top-1 probability. */
  signal: number[];
  targetAccuracy: number[];
  sampleAccuracy: number[];
  sampleConfidence: number[];
  /** Truth sets in CSR form. */
  truthOffsets: Int32Array;
  truthLabels: Int32Array;
  original: Int32Array;
}

const STREAM_LABELS = 1;
const STREAM_CALIB = 2;
const STREAM_SHARED = 3;
const STREAM_MODEL = 16;
const CALIB_ROWS = 2000;

function checkOption(name: string, v: number, lo: number, hi: number, integer = false): void {
  if (!Number.isFinite(v) || v < lo || v > hi || (integer && !Number.isInteger(v))) {
    throw new UsageError(`${name} must be ${integer ? 'an integer' : 'a number'} in [${lo}, ${hi}], got ${v}`);
  }
}

function generateTruth(n: number, c: number, multi: number, rng: Rng): number[][] {
  const sets: number[][] = [];
  for (let i = 0; i < n; i++) {
    const primary = rng.int(c);
    const set = new Set([primary]);
    if (c > 1 && rng.next() < multi) {
      // Extra labels are near the primary: similar classes are adjacent in ImageNet's order.
      const extra = 1 + rng.int(2);
      for (let k = 0; k < extra; k++) set.add((primary + 1 + rng.int(Math.min(5, c - 1))) % c);
    }
    sets.push([...set].sort((a, b) => a - b));
  }
  return sets;
}

function pickOriginal(set: number[], c: number, noise: number, rng: Rng): number {
  if (set.length === 0 || set.length >= c) return set.length === 0 ? rng.int(c) : set[rng.int(set.length)];
  if (rng.next() >= noise) return set[rng.int(set.length)];
  for (;;) {
    const wrong = rng.int(c);
    if (!set.includes(wrong)) return wrong;
  }
}

interface CalibRow {
  noise: Float64Array;
  truth: Int32Array;
  original: number;
}

/** Rows of pure noise over the first images' truth sets (non-empty, not every class). */
function calibrationRows(plan: SimulationPlan): CalibRow[] {
  const rng = new Rng(plan.seed, STREAM_CALIB);
  const rows: CalibRow[] = [];
  for (let i = 0; i < Math.min(CALIB_ROWS, plan.n); i++) {
    const truth = plan.truthLabels.subarray(plan.truthOffsets[i], plan.truthOffsets[i + 1]);
    if (truth.length === 0 || truth.length >= plan.c) continue;
    const noise = new Float64Array(plan.c);
    rng.normals(noise);
    rows.push({ noise, truth, original: plan.original[i] });
  }
  return rows;
}

/** A row's noise maxima on and off the truth, each also without the original label. */
interface RowMax {
  on: number;
  off: number;
  /** Max on (original in the truth) or off (original outside it) the truth, the original excluded. */
  rest: number;
  atOriginal: number;
  originalInTruth: boolean;
}

function rowMaxima({ noise, truth, original }: CalibRow): RowMax {
  const inTruth = truth.includes(original);
  let on = -Infinity;
  let off = -Infinity;
  let rest = -Infinity;
  for (let j = 0; j < noise.length; j++) {
    const t = truth.includes(j);
    if (t) on = Math.max(on, noise[j]);
    else off = Math.max(off, noise[j]);
    if (j !== original && t === inTruth) rest = Math.max(rest, noise[j]);
  }
  return { on, off, rest, atOriginal: noise[original], originalInTruth: inTruth };
}

/**
 * Top-1 is in the truth exactly when d < signal, with d = (max logit off the
 * truth) - (max on it) before the signal; the original-label fit f adds to
 * the original's noise (f = 0 gives d = off - on).
 */
function margin(r: RowMax, fit: number): number {
  if (fit === 0) return r.off - r.on;
  const o = r.atOriginal + fit;
  return r.originalInTruth ? r.off - Math.max(r.rest, o) : Math.max(r.rest, o) - r.on;
}

/** Calibrates each model's signal on a sample: the accuracy-quantile of d. */
function calibrate(plan: SimulationPlan, targets: number[]): void {
  const rows = calibrationRows(plan);
  const maxima = rows.map(rowMaxima);
  targets.forEach((a, m) => {
    const fit = plan.originalFit[m];
    const d = maxima.map((r) => margin(r, fit)).sort((x, y) => x - y);
    const k = Math.round(a * d.length);
    const s = d.length === 0 ? 0 : k <= 0 ? d[0] - 1 : k >= d.length ? d[d.length - 1] + 1 : (d[k - 1] + d[k]) / 2;
    plan.signal.push(s);
    plan.targetAccuracy.push(a);
    plan.sampleAccuracy.push(d.length === 0 ? NaN : d.filter((x) => x < s).length / d.length);
    plan.sampleConfidence.push(meanTopProbability(rows.slice(0, 500), s, fit, plan.scale));
  });
}

/** Mean softmax maximum of the calibration rows with the given signal, fit and scale. */
function meanTopProbability(rows: CalibRow[], signal: number, fit: number, scale: number): number {
  if (rows.length === 0) return NaN;
  let total = 0;
  for (const { noise, truth, original } of rows) {
    const v = noise.map((x) => scale * x);
    for (const t of truth) v[t] += scale * signal;
    v[original] += scale * fit;
    let max = -Infinity;
    for (const x of v) max = Math.max(max, x);
    let sum = 0;
    for (const x of v) sum += Math.exp(x - max);
    total += 1 / sum;
  }
  return total / rows.length;
}

function accuracyTargets(acc: number | [number, number], models: number): number[] {
  const [lo, hi] = typeof acc === 'number' ? [acc, acc] : acc;
  checkOption('accuracy', lo, 0, 1);
  checkOption('accuracy', hi, 0, 1);
  return Array.from({ length: models }, (_, m) => (models === 1 ? hi : lo + ((hi - lo) * m) / (models - 1)));
}

function fitPerModel(fit: number | number[] | undefined, models: number): number[] {
  const list = Array.isArray(fit) ? fit : Array.from({ length: models }, () => fit ?? 0);
  if (list.length !== models) throw new UsageError(`originalFit has ${list.length} values for ${models} models`);
  list.forEach((f) => checkOption('originalFit', f, 0, 1e6));
  return list.slice();
}

/** Draws the truth and original labels and calibrates the models. */
export function planSimulation(opts: SimulateOptions): SimulationPlan {
  const seed = opts.seed ?? 0;
  const c = opts.classes ?? 1000;
  checkOption('models', opts.models, 1, 4096, true);
  checkOption('classes', c, 1, 2 ** 20, true);
  checkOption('seed', seed, 0, Number.MAX_SAFE_INTEGER, true);
  const n = opts.images ?? opts.truth?.length ?? 1000;
  checkOption('images', n, 1, opts.truth ? opts.truth.length : 2 ** 31 - 1, true);
  if (n * c * 4 > 2 ** 40) throw new UsageError(`images x classes = ${n * c} is too large`);
  const confidence = opts.confidence ?? 3;
  const rho = opts.correlation ?? 0.5;
  const labelNoise = opts.labelNoise ?? 0.05;
  const multi = opts.multiLabel ?? 0.15;
  const rowOffset = opts.rowOffset ?? 1;
  checkOption('confidence', confidence, 1e-6, 1e6);
  checkOption('correlation', rho, 0, 1);
  checkOption('labelNoise', labelNoise, 0, 1);
  checkOption('multiLabel', multi, 0, 1);
  checkOption('rowOffset', rowOffset, 0, 1e6);

  const rng = new Rng(seed, STREAM_LABELS);
  const truth = opts.truth ? opts.truth.slice(0, n) : generateTruth(n, c, multi, rng);
  const truthOffsets = new Int32Array(n + 1);
  truth.forEach((set, i) => (truthOffsets[i + 1] = truthOffsets[i] + set.length));
  const truthLabels = new Int32Array(truthOffsets[n]);
  truth.forEach((set, i) => {
    for (const lb of set) checkOption(`truth label of image ${i}`, lb, 0, c - 1, true);
    truthLabels.set(set, truthOffsets[i]);
  });
  const original = Int32Array.from(truth, (set) => pickOriginal(set, c, labelNoise, rng));
  const plan: SimulationPlan = {
    n, c, models: opts.models, seed, scale: confidence, rho, rowOffset, labelNoise, originalFit: fitPerModel(opts.originalFit, opts.models),
    signal: [], targetAccuracy: [], sampleAccuracy: [], sampleConfidence: [],
    truthOffsets, truthLabels, original,
  };
  calibrate(plan, accuracyTargets(opts.accuracy ?? [0.6, 0.85], opts.models));
  return plan;
}

/**
 * Generates rows [chunk * CHUNK_ROWS, ...) of every model into `out[m]`
 * (row-major, C per row, starting at `outRow`).
 */
export function generateChunk(plan: SimulationPlan, chunk: number, out: Float32Array[], outRow = 0, shared?: Float32Array): void {
  const { c, truthOffsets, truthLabels } = plan;
  const r0 = chunk * CHUNK_ROWS;
  const rows = Math.min(CHUNK_ROWS, plan.n - r0);
  const z = shared && shared.length >= rows * c ? shared : new Float32Array(rows * c);
  new Rng(plan.seed, STREAM_SHARED, chunk).normals(z, 0, rows * c);
  const a = Math.sqrt(plan.rho) * plan.scale;
  const b = Math.sqrt(1 - plan.rho) * plan.scale;
  const e = new Float64Array(c);
  for (let m = 0; m < plan.models; m++) {
    const rng = new Rng(plan.seed, STREAM_MODEL + m, chunk);
    const dst = out[m];
    const boost = plan.scale * plan.signal[m];
    const fit = plan.scale * (plan.originalFit[m]);
    for (let r = 0; r < rows; r++) {
      const off = plan.rowOffset * rng.normal();
      rng.normals(e);
      const base = (outRow + r) * c;
      const zb = r * c;
      for (let j = 0; j < c; j++) dst[base + j] = a * z[zb + j] + b * e[j] + off;
      for (let t = truthOffsets[r0 + r]; t < truthOffsets[r0 + r + 1]; t++) dst[base + truthLabels[t]] += boost;
      if (fit !== 0) dst[base + plan.original[r0 + r]] += fit;
    }
  }
}

export function chunkCount(n: number): number {
  return Math.ceil(n / CHUNK_ROWS);
}

export interface Simulation {
  /** Model m's logits, row-major [N, C]. */
  logits: Float32Array[];
  original: Int32Array;
  truth: number[][];
  plan: SimulationPlan;
}

/** In-memory simulation (tests, benches, demos). Same values as the files `simulate` writes. */
export function simulate(opts: SimulateOptions): Simulation {
  const plan = planSimulation(opts);
  const logits = Array.from({ length: plan.models }, () => new Float32Array(plan.n * plan.c));
  for (let k = 0; k < chunkCount(plan.n); k++) {
    const views = logits.map((l) => l.subarray(k * CHUNK_ROWS * plan.c));
    generateChunk(plan, k, views);
  }
  return { logits, original: plan.original, truth: truthSets(plan), plan };
}

export function truthSets(plan: SimulationPlan): number[][] {
  return Array.from({ length: plan.n }, (_, i) => Array.from(plan.truthLabels.subarray(plan.truthOffsets[i], plan.truthOffsets[i + 1])));
}
