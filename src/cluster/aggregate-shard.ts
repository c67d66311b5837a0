/**
 * Worker side of the sharded aggregation. A shard is a range of questions
 * whose bounds are the single-machine kernel's own reduction blocks, so every
 * per-block sum a shard returns (log-likelihood, class sums, confusion
 * counts) is the very number the single-machine kernel forms, and the
 * coordinator folds them in block order exactly as the kernel does.
 *
 * The E-step itself is the kernel's scoring pass (scorePass with the EM's
 * block bounds): a question's posterior depends only on the parameters and
 * its answers, so it is the same bits as inside the fused EM. The counts for
 * the next M-step are added here in the kernel's order (questions ascending,
 * each question's answers in input order).
 */
import * as fs from 'node:fs';
import { readAnswers, type AnswerTable, type OnDuplicate } from '../io/answers';
import { writeFileAtomicSync } from '../io/atomic';
import { hasNative, type Backend } from '../native/addon';
import { questionCsr, type QuestionCsr } from '../aggregate/em-ts';
import { scorePassSync, withPseudo } from '../aggregate/gold';
import { majorityVoteSync } from '../aggregate/mv';
import { modeSpec, type CompactAnswers, type Mode, type ModeSpec } from '../aggregate/problem';
import { originalLabelAnswers, questionPairs, readOriginalLabels } from '../aggregate/real';
import { b64ToF64, bytesF64, f64ToB64, i32ToB64, keys } from './jobs';
import type { HandlerContext } from './handlers';

export interface AggShardSpec {
  answers: string;
  mode: Mode;
  alphabet?: string[];
  onDuplicate?: OnDuplicate;
  /** Gold: pseudo-raters answering main questions (original-label rule). */
  pseudo?: Array<{ classes?: [number, number] }>;
  original?: string;
  /** Global question bounds of the shard's blocks: [q0, ..., q1]. */
  starts: number[];
  backend?: Backend;
  threads?: number;
  /** EM: 0 Dawid–Skene, 1 one-coin. */
  method?: 0 | 1;
}

// ------------------------------------------------------------------ loading

/** Shards run the CPU kernels (native, else the twins); 'auto' never means the GPU here. */
function cpu(b: Backend | undefined): Backend {
  return b === 'ts' || !hasNative() ? 'ts' : 'native';
}

const tables = new Map<string, Promise<AnswerTable>>();

/** Reads an answers file once per process (workers keep the last two). */
function table(s: AggShardSpec): Promise<AnswerTable> {
  const st = fs.statSync(s.answers);
  const key = JSON.stringify([s.answers, st.size, st.mtimeMs, s.mode, s.alphabet, s.onDuplicate]);
  let t = tables.get(key);
  if (!t) {
    t = readAnswers(s.answers, { mode: s.mode, alphabet: s.alphabet, onDuplicate: s.onDuplicate });
    tables.set(key, t);
    t.catch(() => tables.delete(key));
    while (tables.size > 2) tables.delete(tables.keys().next().value!);
  }
  return t;
}

export interface Shard {
  ans: CompactAnswers;
  spec: ModeSpec;
  /** Block bounds relative to the shard's first question. */
  local: Int32Array;
  q0: number;
}

/** The shard's answers (questions renumbered from 0), in input order. */
export async function loadShard(s: AggShardSpec): Promise<Shard> {
  const t = await table(s);
  let full: CompactAnswers = t;
  if (s.pseudo?.length) {
    const original = readOriginalLabels(s.original!);
    const pairs = questionPairs(t);
    const cols = s.pseudo.map((p) => ({ name: 'original-label', main: originalLabelAnswers(pairs, original, t.alphabet.length, p.classes, s.original) }));
    full = withPseudo(t, cols);
  }
  const q0 = s.starts[0];
  const q1 = s.starts[s.starts.length - 1];
  let n = 0;
  for (let i = 0; i < full.question.length; i++) if (full.question[i] >= q0 && full.question[i] < q1) n++;
  const question = new Int32Array(n);
  const worker = new Int32Array(n);
  const answer = new Int32Array(n);
  for (let i = 0, j = 0; i < full.question.length; i++) {
    const q = full.question[i];
    if (q < q0 || q >= q1) continue;
    question[j] = q - q0;
    worker[j] = full.worker[i];
    answer[j++] = full.answer[i];
  }
  const ans = { question, worker, answer, numQuestions: q1 - q0, numWorkers: full.numWorkers, alphabet: full.alphabet };
  return { ans, spec: modeSpec(s.mode, full.alphabet), local: Int32Array.from(s.starts, (q) => q - q0), q0 };
}

/** prior [K] then confusion [W*K*A], published once per iteration. */
export async function readParams(ctx: HandlerContext, run: string, name: string, K: number): Promise<{ prior: Float64Array; confusion: Float64Array }> {
  const b = await ctx.redis.getBuffer(keys.blob(run, name));
  if (!b) throw new Error(`parameters ${name} of run ${run} are gone from Redis`);
  const x = bytesF64(b);
  return { prior: x.subarray(0, K), confusion: x.subarray(K) };
}

function writePosterior(file: string, post: Float64Array): void {
  writeFileAtomicSync(file, new Uint8Array(post.buffer, post.byteOffset, post.byteLength));
}

// ------------------------------------------------------------------ one-pass methods

export async function mvShard(p: { shard: AggShardSpec; out: string }): Promise<null> {
  const sh = await loadShard(p.shard);
  writePosterior(p.out, majorityVoteSync(sh.ans, { spec: sh.spec, backend: cpu(p.shard.backend) }));
  return null;
}

/** Gold scoring pass over the shard; returns the per-block log-likelihoods. */
export async function scoreShard(p: { shard: AggShardSpec; params: string; out: string }, ctx: HandlerContext, run: string): Promise<{ bll: string }> {
  const sh = await loadShard(p.shard);
  const { prior, confusion } = await readParams(ctx, run, p.params, sh.spec.numClasses);
  const r = scorePassSync(sh.ans, prior, confusion, { threads: p.shard.threads, backend: cpu(p.shard.backend), blockStarts: sh.local });
  writePosterior(p.out, r.posterior);
  return { bll: f64ToB64(r.blockLogLikelihood!) };
}

// ------------------------------------------------------------------ EM

interface Resident {
  sh: Shard;
  csr: QuestionCsr;
  init: Float64Array;
  /** Posterior after iteration `iter` (0: the majority-vote start). */
  cur: Float64Array;
  iter: number;
  workers: Int32Array[];
}

/** Per-block statistics of one E-step, sparse: only the count rows a block touched. */
export interface EmStats {
  /** Per block: log-likelihood, largest posterior change. */
  ll: string;
  change: string;
  /** Per block, K class sums. */
  psum: string;
  /** Per block, the number of rows; then the rows' indexes and values (width each). */
  rows: string;
  index: string;
  values: string;
}

async function resident(p: { shard: AggShardSpec; index: number }, ctx: HandlerContext, run: string): Promise<Resident> {
  const key = `${run}:${p.index}`;
  let r = ctx.state.get(key) as Resident | undefined;
  if (!r) {
    const sh = await loadShard(p.shard);
    const init = majorityVoteSync(sh.ans, { spec: sh.spec, backend: cpu(p.shard.backend) });
    const csr = questionCsr(sh.ans.question, sh.ans.worker, sh.ans.answer, sh.ans.numQuestions, sh.spec.numAnswers);
    r = { sh, csr, init, cur: init, iter: 0, workers: blockWorkers(sh, csr) };
    ctx.state.set(key, r);
  }
  return r;
}

/** The posterior after iteration t (t = 0: the start). */
async function posteriorAt(r: Resident, t: number, p: { shard: AggShardSpec }, ctx: HandlerContext, run: string): Promise<{ post: Float64Array; bll: Float64Array | null }> {
  if (t === 0) return { post: r.init, bll: null };
  const { prior, confusion } = await readParams(ctx, run, `p${t}`, r.sh.spec.numClasses);
  const s = scorePassSync(r.sh.ans, prior, confusion, { threads: p.shard.threads, backend: cpu(p.shard.backend), blockStarts: r.sh.local });
  return { post: s.posterior, bll: s.blockLogLikelihood! };
}

/**
 * Iteration t's E-step on a resident shard (t = 0: the counts of the start,
 * as the kernel's CountBlock). Loads the shard first when this worker does
 * not hold it (a reload after a worker died), rebuilding the previous
 * posterior from the previous parameters.
 */
export async function emStep(p: { shard: AggShardSpec; index: number; step: number }, ctx: HandlerContext, run: string): Promise<{ queue: string; stats: EmStats }> {
  const r = await resident(p, ctx, run);
  const t = p.step;
  const old = t === 0 ? null : r.iter === t - 1 ? r.cur : (await posteriorAt(r, t - 1, p, ctx, run)).post;
  const now = await posteriorAt(r, t, p, ctx, run);
  r.cur = now.post;
  r.iter = t;
  return { queue: ctx.queue, stats: blockStats(r, now.post, old, now.bll, p.shard.method ?? 0) };
}

/** Writes the shard's posterior after iteration t. */
export async function emEmit(p: { shard: AggShardSpec; index: number; step: number; out: string }, ctx: HandlerContext, run: string): Promise<null> {
  const r = await resident(p, ctx, run);
  const post = r.iter === p.step ? r.cur : (await posteriorAt(r, p.step, p, ctx, run)).post;
  writePosterior(p.out, post);
  return null;
}

/** Per block, the workers answering in it (ascending): the rows a block's counts can touch. */
function blockWorkers(sh: Shard, csr: QuestionCsr): Int32Array[] {
  const A = sh.spec.numAnswers;
  const seen = new Uint8Array(sh.ans.numWorkers);
  const out: Int32Array[] = [];
  for (let b = 0; b + 1 < sh.local.length; b++) {
    const list: number[] = [];
    for (let i = csr.off[sh.local[b]]; i < csr.off[sh.local[b + 1]]; i++) {
      const w = Math.floor(csr.code[i] / A);
      if (!seen[w]) {
        seen[w] = 1;
        list.push(w);
      }
    }
    for (const w of list) seen[w] = 0;
    out.push(Int32Array.from(list).sort());
  }
  return out;
}

function blockStats(r: Resident, post: Float64Array, old: Float64Array | null, bll: Float64Array | null, method: 0 | 1): EmStats {
  const { sh, csr } = r;
  const K = sh.spec.numClasses;
  const A = sh.spec.numAnswers;
  const W = sh.ans.numWorkers;
  const B = sh.local.length - 1;
  const ds = method === 0;
  const width = ds ? A * K : 2;
  const counts = new Float64Array(W * width);
  const { off, code } = csr;
  const match = sh.spec.match;
  const ll = new Float64Array(B);
  const change = new Float64Array(B);
  const psum = new Float64Array(B * K);
  let nrows = 0;
  for (const list of r.workers) nrows += list.length;
  const index = new Int32Array(nrows);
  const values = new Float64Array(nrows * width);
  const rows = Int32Array.from(r.workers, (l) => l.length);
  let at = 0;
  for (let b = 0; b < B; b++) {
    for (let q = sh.local[b]; q < sh.local[b + 1]; q++) {
      const tq = q * K;
      for (let k = 0; k < K; k++) {
        psum[b * K + k] += post[tq + k];
        if (old) {
          const d = Math.abs(post[tq + k] - old[tq + k]);
          if (d > change[b]) change[b] = d;
        }
      }
      // The kernel's fused count sink (AddCounts), in its order.
      if (ds && K === 2) {
        const t0 = post[tq];
        const t1 = post[tq + 1];
        for (let i = off[q]; i < off[q + 1]; i++) {
          const c = code[i] * 2;
          counts[c] += t0;
          counts[c + 1] += t1;
        }
      } else if (ds) {
        for (let i = off[q]; i < off[q + 1]; i++) {
          const c = code[i] * K;
          for (let k = 0; k < K; k++) counts[c + k] += post[tq + k];
        }
      } else {
        for (let i = off[q]; i < off[q + 1]; i++) {
          const c = code[i];
          const row = Math.floor(c / A) * 2;
          const k = match[c % A];
          if (k >= 0) counts[row] += post[tq + k];
          counts[row + 1] += 1;
        }
      }
    }
    // A worker's row: DS its A*K counts in the kernel's [a*K + k] layout; one-coin [correct, total].
    for (const w of r.workers[b]) {
      index[at] = w;
      values.set(counts.subarray(w * width, (w + 1) * width), at * width);
      counts.fill(0, w * width, (w + 1) * width);
      at++;
    }
    if (bll) ll[b] = bll[b];
  }
  return { ll: f64ToB64(ll), change: f64ToB64(change), psum: f64ToB64(psum), rows: i32ToB64(rows), index: i32ToB64(index), values: f64ToB64(values) };
}

export { b64ToF64 };
