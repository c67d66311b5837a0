/**
 * Accumulates the ReaL metrics of one model over chunks of ranked
 * predictions. Definitions (timm's for top-1/top-5):
 * - realTop1: the top-1 class is in the image's ReaL set;
 * - realTop5: any of the top 5 is in the set (needs scores);
 * - realStrict: the top-|S| classes are exactly the set S (needs scores);
 * - originalTop1/top5: against the original single label, on every image.
 * ReaL metrics skip images with an empty set (nSkipped).
 */
import type { LabelIndex } from './label-index';

export interface Metrics {
  realTop1: number | null;
  realTop5: number | null;
  originalTop1: number | null;
  originalTop5: number | null;
  realStrict: number | null;
  nScored: number;
  nSkipped: number;
}

/** Raw hit counts behind the metrics (numerators). */
export interface MetricCounts {
  realTop1: number;
  realTop5: number | null;
  realStrict: number | null;
  originalTop1: number | null;
  originalTop5: number | null;
  n: number;
}

/** Per-class counts: original by original label, ReaL by every label in the set. */
export interface PerClassCounts {
  /** Images whose original label is c. */
  originalN: Int32Array;
  originalTop1: Int32Array;
  originalTop5: Int32Array | null;
  /** Images whose ReaL set contains c. */
  realN: Int32Array;
  realTop1: Int32Array;
  realTop5: Int32Array | null;
}

export interface ModelScore {
  metrics: Metrics;
  counts: MetricCounts;
  perClass: PerClassCounts;
  /** Top-1 class of every image. */
  top1: Int32Array;
}

/** The number of ranks to ask the top-k kernel for. */
export function ranksNeeded(labels: LabelIndex, numClasses: number): number {
  return Math.min(numClasses, Math.max(5, labels.maxSize));
}

export class Scorer {
  private real1 = 0;
  private real5 = 0;
  private strict = 0;
  private orig1 = 0;
  private orig5 = 0;
  private scored = 0;
  private seen = 0;
  private readonly top1: Int32Array;
  private readonly pc: PerClassCounts;

  /**
   * @param ranked true when predictions come with a ranking (scores), so that
   * top-5 and strict are defined; false for top-1 predictions only.
   */
  constructor(
    private readonly labels: LabelIndex,
    private readonly original: Int32Array | null,
    numClasses: number,
    private readonly ranked: boolean,
  ) {
    const z = () => new Int32Array(numClasses);
    this.top1 = new Int32Array(labels.n);
    this.pc = {
      originalN: z(), originalTop1: z(), originalTop5: ranked ? z() : null,
      realN: z(), realTop1: z(), realTop5: ranked ? z() : null,
    };
  }

  /** Adds rows [start, start + count) whose ranked classes are top[r * k .. r * k + k). */
  add(start: number, count: number, top: Int32Array, k: number): void {
    if (this.ranked && k < Math.min(5, this.pc.realN.length)) throw new Error(`Scorer: need at least 5 ranks, got ${k}`);
    for (let r = 0; r < count; r++) this.addRow(start + r, top, r * k, k);
    this.seen += count;
  }

  private addRow(i: number, top: Int32Array, at: number, k: number): void {
    const { offsets, labels } = this.labels;
    const s = offsets[i];
    const m = offsets[i + 1] - s;
    const t0 = top[at];
    const k5 = Math.min(5, k);
    this.top1[i] = t0;
    if (this.original) this.addOriginal(this.original[i], top, at, k5);
    if (m === 0) return;
    this.scored++;
    const hit1 = inSet(labels, s, m, t0);
    const hit5 = this.ranked && anyInSet(labels, s, m, top, at, k5);
    this.real1 += hit1 ? 1 : 0;
    this.real5 += hit5 ? 1 : 0;
    if (this.ranked && m <= k && allInSet(labels, s, m, top, at)) this.strict++;
    const pc = this.pc;
    for (let j = s; j < s + m; j++) {
      const l = labels[j];
      pc.realN[l]++;
      if (hit1) pc.realTop1[l]++;
      if (hit5) pc.realTop5![l]++;
    }
  }

  private addOriginal(o: number, top: Int32Array, at: number, k5: number): void {
    const pc = this.pc;
    pc.originalN[o]++;
    if (top[at] === o) {
      this.orig1++;
      pc.originalTop1[o]++;
    }
    if (this.ranked && top.subarray(at, at + k5).includes(o)) {
      this.orig5++;
      pc.originalTop5![o]++;
    }
  }

  result(): ModelScore {
    if (this.seen !== this.labels.n) throw new Error(`Scorer: saw ${this.seen} of ${this.labels.n} rows`);
    const n = this.labels.n;
    const scored = this.scored;
    const frac = (x: number, d: number) => (d > 0 ? x / d : null);
    const orig = this.original !== null;
    const counts: MetricCounts = {
      realTop1: this.real1,
      realTop5: this.ranked ? this.real5 : null,
      realStrict: this.ranked ? this.strict : null,
      originalTop1: orig ? this.orig1 : null,
      originalTop5: orig && this.ranked ? this.orig5 : null,
      n,
    };
    const metrics: Metrics = {
      realTop1: frac(this.real1, scored),
      realTop5: this.ranked ? frac(this.real5, scored) : null,
      originalTop1: orig ? frac(this.orig1, n) : null,
      originalTop5: orig && this.ranked ? frac(this.orig5, n) : null,
      realStrict: this.ranked ? frac(this.strict, scored) : null,
      nScored: scored,
      nSkipped: n - scored,
    };
    return { metrics, counts, perClass: this.pc, top1: this.top1 };
  }
}

function inSet(labels: Int32Array, s: number, m: number, x: number): boolean {
  for (let j = s; j < s + m; j++) if (labels[j] === x) return true;
  return false;
}

function anyInSet(labels: Int32Array, s: number, m: number, top: Int32Array, at: number, k: number): boolean {
  for (let r = at; r < at + k; r++) if (inSet(labels, s, m, top[r])) return true;
  return false;
}

/** The first m ranked classes all lie in the m-element set, i.e. equal it (ranks are distinct). */
function allInSet(labels: Int32Array, s: number, m: number, top: Int32Array, at: number): boolean {
  for (let r = at; r < at + m; r++) if (!inSet(labels, s, m, top[r])) return false;
  return true;
}
