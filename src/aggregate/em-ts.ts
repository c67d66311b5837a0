/**
 * Pure-TypeScript twin of the native EM kernel (native/aggregate_core.cc).
 * It repeats the kernel's loops operation by operation: the same blocks, the
 * same summation order, the same guards, so the two agree to the rounding of
 * Math.log / Math.exp (≤ 1e-12 in practice).
 */
import type { EmKernelOptions, EmProblem, EmResult } from './kernel-types';

export const QUESTION_BLOCKS = 64;

/** Answer blocks of the M-step (bounded so partial rows stay small). */
export function answerBlocks(ak: number): number {
  const cap = Math.floor(2 ** 22 / Math.max(ak, 1));
  return Math.max(1, Math.min(64, cap));
}

export function blockStart(n: number, b: number, blocks: number): number {
  return Math.floor((n * b) / blocks);
}

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

/** Stable counting sort of the answers by worker. */
function workerCsr(p: EmProblem): { off: Float64Array; wq: Int32Array; wa: Int32Array } {
  const n = p.question.length;
  const W = p.numWorkers;
  const off = new Float64Array(W + 1);
  for (let i = 0; i < n; i++) off[p.worker[i] + 1]++;
  for (let j = 0; j < W; j++) off[j + 1] += off[j];
  const pos = off.slice(0, W);
  const wq = new Int32Array(n);
  const wa = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    const at = pos[p.worker[i]]++;
    wq[at] = p.question[i];
    wa[at] = p.answer[i];
  }
  return { off, wq, wa };
}

/**
 * E-step over questions [q0, q1); see EStepRange in the kernel. Returns the
 * block log-likelihood and its largest posterior change.
 */
export function eStepRange(
  q0: number, q1: number, K: number, csr: QuestionCsr, logp: Float64Array, logc: Float64Array,
  old: Float64Array | null, post: Float64Array, psum: Float64Array, psumAt: number, lp: Float64Array,
): { ll: number; change: number } {
  const { off, code } = csr;
  let ll = 0;
  let ch = 0;
  for (let q = q0; q < q1; q++) {
    for (let k = 0; k < K; k++) lp[k] = logp[k];
    for (let i = off[q]; i < off[q + 1]; i++) {
      const row = code[i] * K;
      for (let k = 0; k < K; k++) lp[k] += logc[row + k];
    }
    let m = lp[0];
    for (let k = 1; k < K; k++) m = lp[k] > m ? lp[k] : m;
    if (m === -Infinity || Number.isNaN(m)) {
      for (let k = 0; k < K; k++) lp[k] = 1 / K;
      ll += -Infinity;
    } else {
      let s = 0;
      for (let k = 0; k < K; k++) {
        lp[k] = Math.exp(lp[k] - m);
        s += lp[k];
      }
      for (let k = 0; k < K; k++) lp[k] = lp[k] / s;
      ll += m + Math.log(s);
    }
    for (let k = 0; k < K; k++) {
      if (old) {
        const d = Math.abs(lp[k] - old[q * K + k]);
        ch = d > ch ? d : ch;
      }
      post[q * K + k] = lp[k];
      psum[psumAt + k] += lp[k];
    }
  }
  return { ll, change: ch };
}

class EmSolverTs {
  private readonly K: number;
  private readonly A: number;
  private readonly AK: number;
  private readonly n: number;
  private readonly qcsr: QuestionCsr;
  private readonly woff: Float64Array;
  private readonly wq: Int32Array;
  private readonly wa: Int32Array;
  private readonly mblocks: number;
  private readonly width: number;
  private readonly prob: Float64Array;
  private readonly logc: Float64Array;
  private readonly skill: Float64Array;
  private readonly penalty: Float64Array;
  private readonly split: Float64Array;
  private readonly slotW: Int32Array;
  private readonly slotAcc: Float64Array;
  private cur: Float64Array;
  private next: Float64Array;
  private readonly logp: Float64Array;
  private readonly prior: Float64Array;
  private readonly psum: Float64Array;
  private readonly bll: Float64Array;
  private readonly bchange: Float64Array;
  private readonly acc: Float64Array;
  private readonly lp: Float64Array;
  private penaltySum = 0;
  private readonly ll: number[] = [];
  private readonly obj: number[] = [];
  private iterations = 0;
  private converged = false;

  constructor(private readonly p: EmProblem, private readonly opt: EmKernelOptions) {
    this.K = opt.numClasses;
    this.A = opt.numAnswers;
    this.AK = this.A * this.K;
    this.n = p.question.length;
    this.qcsr = questionCsr(p.question, p.worker, p.answer, p.numQuestions, this.A);
    const wc = workerCsr(p);
    this.woff = wc.off;
    this.wq = wc.wq;
    this.wa = wc.wa;
    this.mblocks = answerBlocks(this.AK);
    this.width = opt.method === 0 ? this.AK : 2;
    const W = p.numWorkers;
    this.prob = new Float64Array(W * this.AK);
    this.logc = new Float64Array(W * this.AK);
    this.skill = new Float64Array(W);
    this.penalty = new Float64Array(W);
    this.split = new Float64Array(W * this.width);
    this.slotW = new Int32Array(2 * this.mblocks).fill(-1);
    this.slotAcc = new Float64Array(2 * this.mblocks * this.width);
    this.cur = Float64Array.from(p.init);
    this.next = new Float64Array(this.cur.length);
    this.logp = new Float64Array(this.K);
    this.prior = new Float64Array(this.K);
    this.psum = new Float64Array(QUESTION_BLOCKS * this.K);
    this.bll = new Float64Array(QUESTION_BLOCKS);
    this.bchange = new Float64Array(QUESTION_BLOCKS);
    this.acc = new Float64Array(this.width);
    this.lp = new Float64Array(this.K);
    const zero = new Float64Array(this.width);
    for (let w = 0; w < W; w++) if (this.woff[w] === this.woff[w + 1]) this.finalize(w, zero, 0);
    const Q = p.numQuestions;
    for (let b = 0; b < QUESTION_BLOCKS; b++) {
      const q0 = blockStart(Q, b, QUESTION_BLOCKS);
      const q1 = blockStart(Q, b + 1, QUESTION_BLOCKS);
      for (let q = q0; q < q1; q++) for (let k = 0; k < this.K; k++) this.psum[b * this.K + k] += this.cur[q * this.K + k];
    }
    this.reducePrior();
  }

  run(): EmResult {
    if (this.opt.maxIter > 0) {
      for (;;) {
        for (let b = 0; b < this.mblocks; b++) this.mStepBlock(b);
        this.mStepFinish();
        for (let b = 0; b < QUESTION_BLOCKS; b++) this.eStepBlock(b);
        if (this.eStepFinish()) break;
      }
    }
    return this.emit();
  }

  private mStepBlock(b: number): void {
    const { woff, acc } = this;
    const s = blockStart(this.n, b, this.mblocks);
    const e = blockStart(this.n, b + 1, this.mblocks);
    this.slotW[2 * b] = this.slotW[2 * b + 1] = -1;
    if (s >= e) return;
    let w = upperBound(woff, s) - 1;
    for (; w < this.p.numWorkers && woff[w] < e; w++) {
      const ws = Math.max(woff[w], s);
      const we = Math.min(woff[w + 1], e);
      if (ws >= we) continue;
      acc.fill(0);
      this.count(ws, we, acc);
      if (woff[w] >= s && woff[w + 1] <= e) {
        this.finalize(w, acc, 0);
      } else {
        const slot = 2 * b + (woff[w] < s ? 0 : 1);
        this.slotW[slot] = w;
        this.slotAcc.set(acc, slot * this.width);
      }
    }
  }

  private count(s: number, e: number, acc: Float64Array): void {
    const T = this.cur;
    const K = this.K;
    if (this.opt.method === 0) {
      for (let i = s; i < e; i++) {
        const t = this.wq[i] * K;
        const row = this.wa[i] * K;
        for (let k = 0; k < K; k++) acc[row + k] += T[t + k];
      }
    } else {
      const match = this.opt.match!;
      for (let i = s; i < e; i++) {
        const k = match[this.wa[i]];
        if (k >= 0) acc[0] += T[this.wq[i] * K + k];
        acc[1] += 1;
      }
    }
  }

  private finalize(w: number, acc: Float64Array, at: number): void {
    const { K, A, AK } = this;
    const sm = this.opt.smoothing;
    const base = w * AK;
    let pen = 0;
    if (this.opt.method === 0) {
      for (let k = 0; k < K; k++) {
        let denom = 0;
        for (let a = 0; a < A; a++) denom += acc[at + a * K + k];
        denom += A * sm;
        for (let a = 0; a < A; a++) {
          const p = denom > 0 ? (acc[at + a * K + k] + sm) / denom : 1 / A;
          this.prob[base + a * K + k] = p;
          this.logc[base + a * K + k] = Math.log(p);
          if (sm > 0) pen += sm * this.logc[base + a * K + k];
        }
      }
    } else {
      const match = this.opt.match!;
      const denom = acc[at + 1] + 2 * sm;
      const p = denom > 0 ? (acc[at] + sm) / denom : 1 / A;
      const wrong = (1 - p) / (A - 1);
      const lpr = Math.log(p);
      const lw = Math.log(wrong);
      for (let a = 0; a < A; a++) {
        for (let k = 0; k < K; k++) {
          const right = match[a] === k;
          this.prob[base + a * K + k] = right ? p : wrong;
          this.logc[base + a * K + k] = right ? lpr : lw;
        }
      }
      this.skill[w] = p;
      if (sm > 0) pen = sm * (lpr + Math.log(1 - p));
    }
    this.penalty[w] = pen;
  }

  private mStepFinish(): void {
    const width = this.width;
    const touched: number[] = [];
    for (let slot = 0; slot < 2 * this.mblocks; slot++) {
      const w = this.slotW[slot];
      if (w < 0) continue;
      const dst = w * width;
      if (touched.length === 0 || touched[touched.length - 1] !== w) {
        touched.push(w);
        this.split.fill(0, dst, dst + width);
      }
      const src = slot * width;
      for (let j = 0; j < width; j++) this.split[dst + j] += this.slotAcc[src + j];
    }
    for (const w of touched) this.finalize(w, this.split, w * width);
    let pen = 0;
    for (let w = 0; w < this.p.numWorkers; w++) pen += this.penalty[w];
    this.penaltySum = pen;
    this.reducePrior();
    for (let k = 0; k < this.K; k++) this.logp[k] = Math.log(this.prior[k]);
  }

  private eStepBlock(b: number): void {
    const Q = this.p.numQuestions;
    const q0 = blockStart(Q, b, QUESTION_BLOCKS);
    const q1 = blockStart(Q, b + 1, QUESTION_BLOCKS);
    this.psum.fill(0, b * this.K, (b + 1) * this.K);
    const r = eStepRange(q0, q1, this.K, this.qcsr, this.logp, this.logc, this.cur, this.next, this.psum, b * this.K, this.lp);
    this.bll[b] = r.ll;
    this.bchange[b] = r.change;
  }

  private eStepFinish(): boolean {
    let ll = 0;
    let change = 0;
    for (let b = 0; b < QUESTION_BLOCKS; b++) {
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
    const Q = this.p.numQuestions;
    for (let k = 0; k < this.K; k++) {
      let s = 0;
      for (let b = 0; b < QUESTION_BLOCKS; b++) s += this.psum[b * this.K + k];
      this.prior[k] = Q > 0 ? s / Q : 1 / this.K;
    }
  }

  private emit(): EmResult {
    const { K, A, AK } = this;
    const W = this.p.numWorkers;
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
    if (this.opt.method === 1) result.skill = this.skill.slice();
    return result;
  }
}

/** First index i with xs[i] > v (xs ascending). */
function upperBound(xs: Float64Array, v: number): number {
  let lo = 0;
  let hi = xs.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (xs[mid] <= v) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** Runs each problem with the twin (single-threaded; `threads` is ignored). */
export function emTs(problems: EmProblem[], opts: EmKernelOptions): EmResult[] {
  return problems.map((p) => new EmSolverTs(p, opts).run());
}
