/**
 * Pure-TypeScript twin of the native EM kernel (native/aggregate_core.cc).
 * It repeats the kernel's arithmetic operation by operation: the same blocks,
 * the same summation order, the same exact power-of-two rescaling, so the
 * two agree to the rounding of Math.log / Math.exp (≤ 1e-12 in practice).
 * The kernel's K = 2 fast path skips rescale checks that cannot fire, which
 * changes no result (rescaling is by exact powers of two); the twin checks.
 */
import type { EmKernelOptions, EmProblem, EmResult } from './kernel-types';

const TINY = 2 ** -256;
const PROD_FLOOR = 2 ** -512;
const LOG_DOMAIN_BELOW = 2 ** -1000;

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

/** Smallest nonzero entry (decides between probability and log space). */
export function minPositive(xs: Float64Array, start = 1): number {
  let m = start;
  for (const x of xs) if (x > 0 && x < m) m = x;
  return m;
}

export function useLogDomain(minpos: number): boolean {
  return minpos < LOG_DOMAIN_BELOW;
}

// ---------------------------------------------------------------- EM

class EmSolverTs {
  private readonly K: number;
  private readonly A: number;
  private readonly AK: number;
  private readonly W: number;
  private readonly Q: number;
  private readonly ds: boolean;
  private readonly width: number;
  private readonly qblocks: number;
  private readonly csr: QuestionCsr;
  private readonly cw: Int32Array | null = null;
  private readonly cm: Int32Array | null = null;
  private readonly prob: Float64Array;
  private readonly logc: Float64Array;
  private readonly skill: Float64Array;
  private readonly penalty: Float64Array;
  private readonly minpos: Float64Array;
  private readonly counts: Float64Array;
  private cur: Float64Array;
  private next: Float64Array;
  private readonly logp: Float64Array;
  private readonly prior: Float64Array;
  private readonly psum: Float64Array;
  private readonly bll: Float64Array;
  private readonly bchange: Float64Array;
  private logDomain = false;
  private penaltySum = 0;
  private readonly ll: number[] = [];
  private readonly obj: number[] = [];
  private iterations = 0;
  private converged = false;

  constructor(p: EmProblem, private readonly opt: EmKernelOptions) {
    this.K = opt.numClasses;
    this.A = opt.numAnswers;
    this.AK = this.A * this.K;
    this.W = p.numWorkers;
    this.Q = p.numQuestions;
    this.ds = opt.method === 0;
    this.width = this.ds ? this.AK : 2;
    this.qblocks = fusedBlocks(p.question.length, this.W, this.width, this.Q);
    this.csr = questionCsr(p.question, p.worker, p.answer, this.Q, this.A);
    if (!this.ds) {
      this.cw = new Int32Array(this.W * this.A);
      this.cm = new Int32Array(this.W * this.A);
      for (let w = 0; w < this.W; w++) {
        for (let a = 0; a < this.A; a++) {
          this.cw[w * this.A + a] = w;
          this.cm[w * this.A + a] = opt.match![a];
        }
      }
    }
    this.prob = new Float64Array(this.W * this.AK);
    this.logc = new Float64Array(this.W * this.AK);
    this.skill = new Float64Array(this.W);
    this.penalty = new Float64Array(this.W);
    this.minpos = new Float64Array(this.W).fill(1);
    this.counts = new Float64Array(this.qblocks * this.W * this.width);
    this.cur = Float64Array.from(p.init);
    this.next = new Float64Array(this.cur.length);
    this.logp = new Float64Array(this.K);
    this.prior = new Float64Array(this.K);
    this.psum = new Float64Array(this.qblocks * this.K);
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
    return { kind: this.ds ? 1 : 2, counts: this.counts, at: b * this.W * this.width, cw: this.cw, cm: this.cm };
  }

  private countBlock(b: number): void {
    const K = this.K;
    const q0 = blockStart(this.Q, b, this.qblocks);
    const q1 = blockStart(this.Q, b + 1, this.qblocks);
    const sink = this.sink(b);
    for (let q = q0; q < q1; q++) {
      for (let k = 0; k < K; k++) this.psum[b * K + k] += this.cur[q * K + k];
      addCounts(this.csr, q, K, this.cur, q * K, sink);
    }
  }

  private mStep(): void {
    const { width, W } = this;
    const acc = new Float64Array(width);
    const stride = W * width;
    for (let w = 0; w < W; w++) {
      acc.fill(0);
      for (let qb = 0; qb < this.qblocks; qb++) {
        const src = qb * stride + w * width;
        for (let j = 0; j < width; j++) acc[j] += this.counts[src + j];
      }
      this.finalize(w, acc);
    }
    let pen = 0;
    let minpos = 1;
    for (let w = 0; w < W; w++) {
      pen += this.penalty[w];
      minpos = this.minpos[w] < minpos ? this.minpos[w] : minpos;
    }
    this.penaltySum = pen;
    this.reducePrior();
    minpos = minPositive(this.prior, minpos);
    this.logDomain = useLogDomain(minpos);
    if (this.logDomain) {
      for (let j = 0; j < this.prob.length; j++) this.logc[j] = Math.log(this.prob[j]);
      for (let k = 0; k < this.K; k++) this.logp[k] = Math.log(this.prior[k]);
    }
  }

  private finalize(w: number, acc: Float64Array): void {
    const { K, A, AK } = this;
    const sm = this.opt.smoothing;
    const base = w * AK;
    let pen = 0;
    let minpos = 1;
    if (this.ds) {
      for (let k = 0; k < K; k++) {
        let denom = 0;
        for (let a = 0; a < A; a++) denom += acc[a * K + k];
        denom += A * sm;
        for (let a = 0; a < A; a++) {
          const p = denom > 0 ? (acc[a * K + k] + sm) / denom : 1 / A;
          this.prob[base + a * K + k] = p;
          if (p > 0 && p < minpos) minpos = p;
          if (sm > 0) pen += sm * Math.log(p);
        }
      }
    } else {
      const match = this.opt.match!;
      const denom = acc[1] + 2 * sm;
      const p = denom > 0 ? (acc[0] + sm) / denom : 1 / A;
      const wrong = (1 - p) / (A - 1);
      for (let a = 0; a < A; a++) {
        for (let k = 0; k < K; k++) this.prob[base + a * K + k] = match[a] === k ? p : wrong;
      }
      if (p > 0 && p < minpos) minpos = p;
      if (wrong > 0 && wrong < minpos) minpos = wrong;
      this.skill[w] = p;
      if (sm > 0) pen = sm * (Math.log(p) + Math.log(1 - p));
    }
    this.penalty[w] = pen;
    this.minpos[w] = minpos;
  }

  private eStepBlock(b: number): void {
    const K = this.K;
    const q0 = blockStart(this.Q, b, this.qblocks);
    const q1 = blockStart(this.Q, b + 1, this.qblocks);
    this.psum.fill(0, b * K, (b + 1) * K);
    const sink = this.sink(b);
    this.counts.fill(0, sink.at, sink.at + this.W * this.width);
    const prm: EParams = { K, prob: this.prob, logc: this.logc, prior: this.prior, logp: this.logp, logDomain: this.logDomain };
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
    this.obj.push(ll + this.penaltySum);
    this.iterations += 1;
    [this.cur, this.next] = [this.next, this.cur];
    if (change < this.opt.tol) this.converged = true;
    return this.converged || this.iterations >= this.opt.maxIter;
  }

  private reducePrior(): void {
    for (let k = 0; k < this.K; k++) {
      let s = 0;
      for (let b = 0; b < this.qblocks; b++) s += this.psum[b * this.K + k];
      this.prior[k] = this.Q > 0 ? s / this.Q : 1 / this.K;
    }
  }

  private emit(): EmResult {
    if (this.iterations === 0) this.reducePrior();
    const { K, A, AK, W } = this;
    const confusion = new Float64Array(W * K * A);
    for (let w = 0; w < W; w++) {
      for (let k = 0; k < K; k++) {
        for (let a = 0; a < A; a++) confusion[(w * K + k) * A + a] = this.prob[w * AK + a * K + k];
      }
    }
    const result: EmResult = {
      posterior: this.cur.slice(),
      confusion,
      prior: this.prior.slice(),
      logLikelihood: Float64Array.from(this.ll),
      objective: Float64Array.from(this.obj),
      iterations: this.iterations,
      converged: this.converged,
    };
    if (!this.ds) result.skill = this.skill.slice();
    return result;
  }
}

/** Runs each problem with the twin (single-threaded; `threads` is ignored). */
export function emTs(problems: EmProblem[], opts: EmKernelOptions): EmResult[] {
  return problems.map((p) => new EmSolverTs(p, opts).run());
}
