/**
 * The M-step of Dawid–Skene and one-coin EM, shared by the TypeScript twin
 * (em-ts.ts) and the cluster coordinator (src/cluster/aggregate.ts), so the
 * two cannot drift apart: from the posterior's sufficient statistics (per
 * worker confusion counts, per class posterior sums) it forms the
 * Dirichlet(1 + smoothing) MAP parameters, the smoothing's log prior, and
 * decides whether the next E-step works in probability or log space. It
 * mirrors MStepBlock / Finalize / MStepFinish in native/aggregate_em.cc
 * operation by operation: change both.
 */

/** Sizes and options of one EM problem. */
export interface MStepModel {
  W: number;
  A: number;
  K: number;
  /** true: Dawid–Skene (A*K counts per worker); false: one-coin ([correct, total]). */
  ds: boolean;
  smoothing: number;
  /** One-coin: the class each answer value is correct for, or -1. */
  match: Int32Array | null;
}

/** Parameters in E-step layout, rewritten by each M-step. */
export interface EmParams {
  /** [(w*A + a)*K + k] = p(answer a | truth k) for worker w. */
  prob: Float64Array;
  /** log(prob), filled only when logDomain. */
  logc: Float64Array;
  prior: Float64Array;
  logp: Float64Array;
  /** One-coin: each worker's accuracy. */
  skill: Float64Array;
  /** The smoothing's log Dirichlet prior (0 without smoothing). */
  penaltySum: number;
  /** A nonzero parameter below 2^-1000 could underflow a product: the E-step works with logs. */
  logDomain: boolean;
}

const LOG_DOMAIN_BELOW = 2 ** -1000;

/** Count entries per worker: DS [a*K + k]; one-coin [correct, total]. */
export function countWidth(m: MStepModel): number {
  return m.ds ? m.A * m.K : 2;
}

export function newParams(m: MStepModel): EmParams {
  const n = m.W * m.A * m.K;
  return {
    prob: new Float64Array(n),
    logc: new Float64Array(n),
    prior: new Float64Array(m.K),
    logp: new Float64Array(m.K),
    skill: new Float64Array(m.W),
    penaltySum: 0,
    logDomain: false,
  };
}

/** Smallest nonzero entry of xs, or `start` when none is smaller. */
export function minPositive(xs: Float64Array, start = 1): number {
  let m = start;
  for (const x of xs) if (x > 0 && x < m) m = x;
  return m;
}

export function useLogDomain(minpos: number): boolean {
  return minpos < LOG_DOMAIN_BELOW;
}

/**
 * The whole M-step. `countsOf(w)` gives worker w's counts, already summed over
 * the question blocks in block order; `classSums[k]` the posterior's column
 * sums, likewise; Q the number of questions.
 */
export function mStep(m: MStepModel, p: EmParams, countsOf: (w: number) => Float64Array, classSums: Float64Array, Q: number): void {
  let pen = 0;
  let minpos = 1;
  for (let w = 0; w < m.W; w++) {
    const r = finalizeWorker(m, p, w, countsOf(w));
    pen += r.penalty;
    minpos = r.minpos < minpos ? r.minpos : minpos;
  }
  p.penaltySum = pen;
  priorFrom(classSums, Q, p.prior);
  p.logDomain = useLogDomain(minPositive(p.prior, minpos));
  if (p.logDomain) {
    for (let j = 0; j < p.prob.length; j++) p.logc[j] = Math.log(p.prob[j]);
    for (let k = 0; k < m.K; k++) p.logp[k] = Math.log(p.prior[k]);
  }
}

/** The class prior: the posterior's column means (uniform without questions). */
export function priorFrom(classSums: Float64Array, Q: number, prior: Float64Array): void {
  const K = prior.length;
  for (let k = 0; k < K; k++) prior[k] = Q > 0 ? classSums[k] / Q : 1 / K;
}

/**
 * Worker w's parameters from its counts (Finalize in the kernel); returns its
 * share of the smoothing penalty and its smallest nonzero parameter.
 */
function finalizeWorker(m: MStepModel, p: EmParams, w: number, acc: Float64Array): { penalty: number; minpos: number } {
  const { K, A, smoothing: sm } = m;
  const base = w * A * K;
  let pen = 0;
  let minpos = 1;
  if (m.ds) {
    for (let k = 0; k < K; k++) {
      let denom = 0;
      for (let a = 0; a < A; a++) denom += acc[a * K + k];
      denom += A * sm;
      for (let a = 0; a < A; a++) {
        const x = denom > 0 ? (acc[a * K + k] + sm) / denom : 1 / A;
        p.prob[base + a * K + k] = x;
        if (x > 0 && x < minpos) minpos = x;
        if (sm > 0) pen += sm * Math.log(x);
      }
    }
  } else {
    const match = m.match!;
    const denom = acc[1] + 2 * sm;
    const right = denom > 0 ? (acc[0] + sm) / denom : 1 / A;
    const wrong = (1 - right) / (A - 1);
    for (let a = 0; a < A; a++) {
      for (let k = 0; k < K; k++) p.prob[base + a * K + k] = match[a] === k ? right : wrong;
    }
    if (right > 0 && right < minpos) minpos = right;
    if (wrong > 0 && wrong < minpos) minpos = wrong;
    p.skill[w] = right;
    if (sm > 0) pen = sm * (Math.log(right) + Math.log(1 - right));
  }
  return { penalty: pen, minpos };
}

/** The confusions in the result layout [w][k][a]. */
export function confusionOf(m: MStepModel, prob: Float64Array): Float64Array {
  const { W, A, K } = m;
  const out = new Float64Array(W * K * A);
  for (let w = 0; w < W; w++) {
    for (let k = 0; k < K; k++) {
      for (let a = 0; a < A; a++) out[(w * K + k) * A + a] = prob[(w * A + a) * K + k];
    }
  }
  return out;
}
