/**
 * Pure-TypeScript twin of the native EM kernel (native/aggregate_core.cc).
 * It repeats the kernel's arithmetic operation by operation: the same blocks,
 * the same summation order, the same exact power-of-two rescaling, so the
 * two agree to the rounding of Math.log / Math.exp (≤ 1e-12 in practice).
 * The kernel's K = 2 fast path skips rescale checks that cannot fire, which
 * changes no result (rescaling is by exact powers of two); the twin checks.
 */
import { confusionOf, countWidth, mStep, newParams, priorFrom, type EmParams, type MStepModel } from './em-mstep';
import { emConverged } from './em-stop';
import type { EmKernelOptions, EmProblem, EmResult } from './kernel-types';

const TINY = 2 ** -256;
const PROD_FLOOR = 2 ** -512;

export function blockStart(n: number, b: number, blocks: number): number {
  return Math.floor((n * b) / blocks);
}

/** Blocks of the fused E/M pass (FusedBlocks in the kernel). */
export function fusedBlocks(n: number, W: number, width: number, Q: number): number {
  const bySize = Math.floor(n / Math.max(1, 4 * W * width));
  return Math.max(1, Math.min(64, bySize, Math.max(Q, 1)));
}

// ---------------------------------------------------------------- exact frexp / ldexp

const F64 = new Float64Array(1);
const U32 = new Uint32Array(F64.buffer);
const HI = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1 ? 1 : 0; // high word index

/** x = f * 2^e, f in [0.5, 1), for finite x > 0; returns f and sets FREXP_E. */
let FREXP_E = 0;
function frexp(x: number): number {
  F64[0] = x;
  let hi = U32[HI];
  let biased = (hi >>> 20) & 0x7ff;
  let adjust = 0;
  if (biased === 0) {
    F64[0] = x * 2 ** 64; // subnormal: normalise first (exact)
    hi = U32[HI];
    biased = (hi >>> 20) & 0x7ff;
    adjust = -64;
  }
  FREXP_E = biased - 1022 + adjust;
  U32[HI] = (hi & 0x800fffff) | (1022 << 20);
  return F64[0];
}

/** 2^n exactly, for integer n in [-1022, 1023]. */
function pow2(n: number): number {
  U32[1 - HI] = 0;
  U32[HI] = (n + 1023) << 20;
  return F64[0];
}

// ---------------------------------------------------------------- question CSR

export interface QuestionCsr {
  off: Float64Array; // Q + 1 offsets
  code: Int32Array; // w * A + a, grouped by question, stable
}

/** Stable counting sort of the answers by question. */
export function questionCsr(q: Int32Array, w: Int32Array, a: Int32Array, Q: number, A: number): QuestionCsr {
  const n = q.length;
  const off = new Float64Array(Q + 1);
  for (let i = 0; i < n; i++) off[q[i] + 1]++;
  for (let j = 0; j < Q; j++) off[j + 1] += off[j];
  const pos = off.slice(0, Q);
  const code = new Int32Array(n);
  for (let i = 0; i < n; i++) code[pos[q[i]]++] = w[i] * A + a[i];
  return { off, code };
}

// ---------------------------------------------------------------- E-step

/** Parameters in E-step layout: entry [(w*A + a)*K + k] = p(a | truth k). */
export interface EParams {
  K: number;
  prob: Float64Array;
  logc: Float64Array | null;
  prior: Float64Array;
  logp: Float64Array | null;
  logDomain: boolean;
}

/** Where the E-step adds the new posterior (the next M-step's counts). */
export interface Sink {
  kind: 0 | 1 | 2; // none, Dawid–Skene, one-coin
  counts: Float64Array;
  at: number;
  cw: Int32Array | null;
  cm: Int32Array | null;
}

const NO_SINK: Sink = { kind: 0, counts: new Float64Array(0), at: 0, cw: null, cm: null };

export function addCounts(csr: QuestionCsr, q: number, K: number, t: Float64Array, tAt: number, sink: Sink): void {
  if (sink.kind === 0) return;
  const { off, code } = csr;
  const counts = sink.counts;
  for (let i = off[q]; i < off[q + 1]; i++) {
    const c = code[i];
    if (sink.kind === 1) {
      const row = sink.at + c * K;
      for (let k = 0; k < K; k++) counts[row + k] += t[tAt + k];
    } else {
      const row = sink.at + sink.cw![c] * 2;
      const k = sink.cm![c];
      if (k >= 0) counts[row] += t[tAt + k];
      counts[row + 1] += 1;
    }
  }
}

/** E-step over questions [q0, q1) (EStep in the kernel). */
export function eStep(
  csr: QuestionCsr, q0: number, q1: number, prm: EParams, old: Float64Array | null, post: Float64Array,
  psum: Float64Array, psumAt: number, sink: Sink = NO_SINK,
): { ll: number; change: number } {
  const { K, prob, prior } = prm;
  const { off, code } = csr;
  const p = new Float64Array(K);
  let change = 0;
  let prod = 1;
  let logsum = 0;
  let exps = 0;
  for (let q = q0; q < q1; q++) {
    let sum = 0;
    if (!prm.logDomain) {
      for (let k = 0; k < K; k++) p[k] = prior[k];
      let scale = 0;
      for (let i = off[q]; i < off[q + 1]; i++) {
        const row = code[i] * K;
        let m = 0;
        for (let k = 0; k < K; k++) {
          p[k] *= prob[row + k];
          m = p[k] > m ? p[k] : m;
        }
        if (m < TINY && m > 0) {
          frexp(m);
          const e = FREXP_E;
          const s1 = pow2(Math.trunc(-e / 2));
          const s2 = pow2(-e - Math.trunc(-e / 2));
          for (let k = 0; k < K; k++) p[k] = p[k] * s1 * s2;
          scale += e;
        }
      }
      for (let k = 0; k < K; k++) sum += p[k];
      if (sum > 0) {
        prod *= frexp(sum);
        exps += FREXP_E + scale;
        if (prod < PROD_FLOOR) {
          prod = frexp(prod);
          exps += FREXP_E;
        }
      }
    } else {
      const logc = prm.logc!;
      for (let k = 0; k < K; k++) p[k] = prm.logp![k];
      for (let i = off[q]; i < off[q + 1]; i++) {
        const row = code[i] * K;
        for (let k = 0; k < K; k++) p[k] += logc[row + k];
      }
      let m = p[0];
      for (let k = 1; k < K; k++) m = p[k] > m ? p[k] : m;
      if (m !== -Infinity && !Number.isNaN(m)) {
        for (let k = 0; k < K; k++) {
          p[k] = Math.exp(p[k] - m);
          sum += p[k];
        }
        logsum += m + Math.log(sum);
      }
    }
    const t = q * K;
    if (sum > 0) {
      const inv = 1 / sum;
      for (let k = 0; k < K; k++) post[t + k] = p[k] * inv;
    } else {
      for (let k = 0; k < K; k++) post[t + k] = 1 / K;
      logsum += -Infinity;
    }
    for (let k = 0; k < K; k++) {
      if (old) {
        const d = Math.abs(post[t + k] - old[t + k]);
        change = d > change ? d : change;
      }
      psum[psumAt + k] += post[t + k];
    }
    addCounts(csr, q, K, post, t, sink);
  }
  return { ll: Math.log(prod) + exps * Math.LN2 + logsum, change };
}

// ---------------------------------------------------------------- EM

class EmSolverTs {
  private readonly m: MStepModel;
  private readonly Q: number;
  private readonly answers: number;
  private readonly width: number;
  private readonly qblocks: number;
  private readonly csr: QuestionCsr;
  private readonly cw: Int32Array | null = null;
  private readonly cm: Int32Array | null = null;
  private readonly prm: EmParams;
  /** Per question block: its workers' counts (the fused E-step's sink), its class sums, log-likelihood, largest change. */
  private readonly counts: Float64Array;
  private readonly psum: Float64Array;
  private readonly bll: Float64Array;
  private readonly bchange: Float64Array;
  private cur: Float64Array;
  private next: Float64Array;
  private readonly ll: number[] = [];
  private readonly obj: number[] = [];
  private iterations = 0;
  private converged = false;

  constructor(p: EmProblem, private readonly opt: EmKernelOptions) {
    const ds = opt.method === 0;
    this.m = { W: p.numWorkers, A: opt.numAnswers, K: opt.numClasses, ds, smoothing: opt.smoothing, match: opt.match ?? null };
    const { W, A, K } = this.m;
    this.Q = p.numQuestions;
    this.answers = p.question.length;
    this.width = countWidth(this.m);
    this.qblocks = fusedBlocks(p.question.length, W, this.width, this.Q);
    this.csr = questionCsr(p.question, p.worker, p.answer, this.Q, A);
    if (!ds) {
      this.cw = new Int32Array(W * A);
      this.cm = new Int32Array(W * A);
      for (let w = 0; w < W; w++) {
        for (let a = 0; a < A; a++) {
          this.cw[w * A + a] = w;
          this.cm[w * A + a] = opt.match![a];
        }
      }
    }
    this.prm = newParams(this.m);
    this.counts = new Float64Array(this.qblocks * W * this.width);
    this.cur = Float64Array.from(p.init);
    this.next = new Float64Array(this.cur.length);
    this.psum = new Float64Array(this.qblocks * K);
    this.bll = new Float64Array(this.qblocks);
    this.bchange = new Float64Array(this.qblocks);
  }

  run(): EmResult {
    for (let b = 0; b < this.qblocks; b++) this.countBlock(b);
    if (this.opt.maxIter > 0) {
      for (;;) {
        this.mStep();
        for (let b = 0; b < this.qblocks; b++) this.eStepBlock(b);
        if (this.eStepFinish()) break;
      }
    }
    return this.emit();
  }

  private sink(b: number): Sink {
    return { kind: this.m.ds ? 1 : 2, counts: this.counts, at: b * this.m.W * this.width, cw: this.cw, cm: this.cm };
  }

  private countBlock(b: number): void {
    const K = this.m.K;
    const q0 = blockStart(this.Q, b, this.qblocks);
    const q1 = blockStart(this.Q, b + 1, this.qblocks);
    const sink = this.sink(b);
    for (let q = q0; q < q1; q++) {
      for (let k = 0; k < K; k++) this.psum[b * K + k] += this.cur[q * K + k];
      addCounts(this.csr, q, K, this.cur, q * K, sink);
    }
  }

  /** The shared M-step on the counts summed over question blocks in block order (MStepBlock). */
  private mStep(): void {
    const { width } = this;
    const acc = new Float64Array(width);
    const stride = this.m.W * width;
    const countsOf = (w: number) => {
      acc.fill(0);
      for (let qb = 0; qb < this.qblocks; qb++) {
        const src = qb * stride + w * width;
        for (let j = 0; j < width; j++) acc[j] += this.counts[src + j];
      }
      return acc;
    };
    mStep(this.m, this.prm, countsOf, this.classSums(), this.Q);
  }

  private eStepBlock(b: number): void {
    const K = this.m.K;
    const q0 = blockStart(this.Q, b, this.qblocks);
    const q1 = blockStart(this.Q, b + 1, this.qblocks);
    this.psum.fill(0, b * K, (b + 1) * K);
    const sink = this.sink(b);
    this.counts.fill(0, sink.at, sink.at + this.m.W * this.width);
    const { prob, logc, prior, logp, logDomain } = this.prm;
    const prm: EParams = { K, prob, logc, prior, logp, logDomain };
    const r = eStep(this.csr, q0, q1, prm, this.cur, this.next, this.psum, b * K, sink);
    this.bll[b] = r.ll;
    this.bchange[b] = r.change;
  }

  private eStepFinish(): boolean {
    let ll = 0;
    let change = 0;
    for (let b = 0; b < this.qblocks; b++) {
      ll += this.bll[b];
      change = this.bchange[b] > change ? this.bchange[b] : change;
    }
    this.ll.push(ll);
    this.obj.push(ll + this.prm.penaltySum);
    this.iterations += 1;
    [this.cur, this.next] = [this.next, this.cur];
    if (emConverged(this.opt.stopRule ?? 0, this.opt.tol, this.obj, change, this.answers)) this.converged = true;
    return this.converged || this.iterations >= this.opt.maxIter;
  }

  /** The posterior's column sums, blocks in order (ReducePrior). */
  private classSums(): Float64Array {
    const K = this.m.K;
    const sums = new Float64Array(K);
    for (let k = 0; k < K; k++) {
      let s = 0;
      for (let b = 0; b < this.qblocks; b++) s += this.psum[b * K + k];
      sums[k] = s;
    }
    return sums;
  }

  private emit(): EmResult {
    if (this.iterations === 0) priorFrom(this.classSums(), this.Q, this.prm.prior);
    const result: EmResult = {
      posterior: this.cur.slice(),
      confusion: confusionOf(this.m, this.prm.prob),
      prior: this.prm.prior.slice(),
      logLikelihood: Float64Array.from(this.ll),
      objective: Float64Array.from(this.obj),
      iterations: this.iterations,
      converged: this.converged,
    };
    if (!this.m.ds) result.skill = this.prm.skill.slice();
    return result;
  }
}

/** Runs each problem with the twin (single-threaded; `threads` is ignored). */
export function emTs(problems: EmProblem[], opts: EmKernelOptions): EmResult[] {
  return problems.map((p) => new EmSolverTs(p, opts).run());
}
