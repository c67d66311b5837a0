/**
 * Coordinator side of `aggregate --cluster`: the fit of any method, sharded
 * by question over the workers, byte-identical to the single-machine fit.
 *
 * - mv: each shard writes its questions' vote shares.
 * - gold: the calibration is small and runs here; each shard runs the scoring
 *   pass over the kernel's 64 blocks that it owns and returns their
 *   log-likelihoods, summed here in block order.
 * - ds / one-coin: shards are groups of the fused EM's blocks and stay
 *   resident in their worker; per iteration each returns per-block
 *   statistics, this M-step folds them in block order (the kernel's order),
 *   and the parameters are published once.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { UsageError } from '../errors';
import type { AnswerTable, OnDuplicate } from '../io/answers';
import type { Backend } from '../native/addon';
import { blockStart, fusedBlocks } from '../aggregate/em-ts';
import { confusionOf, countWidth, mStep, newParams, priorFrom, type EmParams, type MStepModel } from '../aggregate/em-mstep';
import { emConverged, stopRuleCode, type StopRule } from '../aggregate/em-stop';
import type { EmResult } from '../aggregate/kernel-types';
import type { ModeSpec, Mode } from '../aggregate/problem';
import type { AggShardSpec, EmStats } from './aggregate-shard';
import { checkClusterBackend } from './connection';
import { Coordinator, type Task } from './coordinator';
import { b64ToF64, b64ToI32, f64Bytes } from './jobs';

export interface ClusterAggregateInput {
  cluster: string;
  method: 'mv' | 'ds' | 'one-coin' | 'gold';
  answersFile: string;
  mode: Mode;
  alphabet?: string[];
  onDuplicate?: OnDuplicate;
  /** The coordinator's own read of the answers (sizes, names). */
  table: AnswerTable;
  spec: ModeSpec;
  maxIter: number;
  stop?: StopRule;
  tol: number;
  smoothing: number;
  threads?: number;
  backend?: Backend;
  /** Gold: the calibration, and the pseudo-raters the workers add to their shards. */
  gold?: { prior: Float64Array; confusion: Float64Array; pseudo: Array<{ classes?: [number, number] }>; original?: string };
  /** Shards (default one per live worker; never changes the result). */
  shards?: number;
  /** Folder on the shared filesystem for shard outputs (default the output's folder, else the temp folder). */
  scratch?: string;
}

export interface ClusterFit {
  posterior: Float64Array;
  em?: EmResult;
  logLikelihood?: number;
}

export async function aggregateOnCluster(input: ClusterAggregateInput): Promise<ClusterFit> {
  const c = await Coordinator.open(input.cluster);
  const dir = fs.mkdtempSync(path.join(input.scratch ?? os.tmpdir(), `.realabel-cluster-`));
  try {
    const live = (await c.liveQueues()).length;
    const t = input.table;
    const Q = t.numQuestions;
    const K = input.spec.numClasses;
    const width = input.method === 'ds' ? input.spec.numAnswers * K : 2;
    // The kernel's own reduction blocks: EM's fused blocks, or the scoring pass's 64.
    const B = input.method === 'ds' || input.method === 'one-coin' ? fusedBlocks(t.question.length, t.numWorkers, width, Q) : 64;
    const S = Math.max(1, Math.min(B, input.shards ?? live));
    const shards: AggShardSpec[] = [];
    for (let s = 0; s < S; s++) {
      const b0 = Math.floor((B * s) / S);
      const b1 = Math.floor((B * (s + 1)) / S);
      const starts: number[] = [];
      for (let b = b0; b <= b1; b++) starts.push(blockStart(Q, b, B));
      shards.push({
        answers: path.resolve(input.answersFile),
        mode: input.mode,
        alphabet: input.alphabet,
        onDuplicate: input.onDuplicate,
        pseudo: input.gold?.pseudo,
        original: input.gold?.original && path.resolve(input.gold.original),
        starts,
        backend: input.backend,
        threads: input.threads,
        method: input.method === 'one-coin' ? 1 : 0,
      });
    }
    const files = shards.map((_, i) => path.join(dir, `shard-${String(i).padStart(4, '0')}.f64`));
    switch (input.method) {
      case 'mv':
        await c.collect(await submitAll(c, shards.map((shard, i) => ({ key: `mv${i}`, kind: 'agg-mv', payload: { shard, out: files[i] } }))));
        return { posterior: readShards(files, Q * K) };
      case 'gold': {
        const g = input.gold!;
        await c.putBlob('gold', Buffer.concat([f64Bytes(g.prior), f64Bytes(g.confusion)]));
        const got = await c.collect(await submitAll(c, shards.map((shard, i) => ({ key: `g${i}`, kind: 'agg-score', payload: { shard, params: 'gold', out: files[i] } }))));
        let ll = 0;
        shards.forEach((_, i) => {
          for (const x of b64ToF64((got.get(`g${i}`) as { bll: string }).bll)) ll += x;
        });
        return { posterior: readShards(files, Q * K), logLikelihood: ll };
      }
      default: {
        const em = await runEm(c, input, shards, files);
        return { posterior: em.posterior, em };
      }
    }
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
    await c.close();
  }
}

async function submitAll(c: Coordinator, tasks: Task[]): Promise<string[]> {
  await c.submit(tasks);
  return tasks.map((t) => t.key);
}

function readShards(files: string[], total: number): Float64Array {
  const out = new Float64Array(total);
  let at = 0;
  for (const f of files) {
    const x = fs.readFileSync(f);
    new Uint8Array(out.buffer, at * 8, x.length).set(x);
    at += x.length / 8;
  }
  if (at !== total) throw new Error(`cluster shards returned ${at} values, expected ${total}`);
  return out;
}

/** Reloads a resident shard's job on the shared queue (its worker is gone). */
const rescue = (t: Task): Task => ({ ...t, queue: undefined });

async function runEm(c: Coordinator, input: ClusterAggregateInput, shards: AggShardSpec[], files: string[]): Promise<EmResult> {
  const { spec, table } = input;
  const K = spec.numClasses;
  const A = spec.numAnswers;
  const W = table.numWorkers;
  const Q = table.numQuestions;
  const ds = input.method === 'ds';
  const m = new MStep(W, A, K, Q, ds, input.smoothing, spec.match);
  const queues: Array<string | undefined> = shards.map(() => undefined);
  const step = async (t: number): Promise<EmStats[]> => {
    const tasks = shards.map((shard, i) => ({ key: `s${i}:${t}`, kind: 'em-step', payload: { shard, index: i, step: t }, queue: queues[i] }));
    const got = await c.collect(await submitAll(c, tasks), rescue);
    return shards.map((_, i) => {
      const r = got.get(`s${i}:${t}`) as { queue: string; stats: EmStats };
      queues[i] = r.queue;
      return r.stats;
    });
  };
  // Iteration 0: load the shards, count the majority-vote start.
  m.fold(await step(0));
  const ll: number[] = [];
  const obj: number[] = [];
  let converged = false;
  let t = 0;
  while (input.maxIter > 0) {
    m.finish();
    t += 1;
    await c.putBlob(`p${t}`, m.publish());
    if (t > 2) await c.deleteBlob(`p${t - 2}`);
    const stats = await step(t);
    const { ll: l, change } = m.fold(stats);
    ll.push(l);
    obj.push(l + m.params.penaltySum);
    if (emConverged(stopRuleCode(input.stop), input.tol, obj, change, table.question.length)) converged = true;
    if (converged || t >= input.maxIter) break;
  }
  const tasks = shards.map((shard, i) => ({ key: `e${i}`, kind: 'em-emit', payload: { shard, index: i, step: t, out: files[i] }, queue: queues[i] }));
  await c.collect(await submitAll(c, tasks), rescue);
  if (t === 0) m.reducePrior();
  const result: EmResult = {
    posterior: readShards(files, Q * K),
    confusion: m.confusion(),
    prior: m.params.prior.slice(),
    logLikelihood: Float64Array.from(ll),
    objective: Float64Array.from(obj),
    iterations: t,
    converged,
  };
  if (!ds) result.skill = m.params.skill.slice();
  return result;
}

/**
 * The coordinator's half of EM: folds the shards' per-block statistics in
 * block order (the kernel's order), then runs the one shared M-step
 * (em-mstep.ts, as the twin does), so the parameters are the kernel's bits.
 */
class MStep {
  readonly model: MStepModel;
  readonly params: EmParams;
  private readonly width: number;
  private readonly acc: Float64Array;
  private readonly psum: Float64Array;
  constructor(W: number, A: number, K: number, private readonly Q: number, ds: boolean, smoothing: number, match: Int32Array) {
    this.model = { W, A, K, ds, smoothing, match };
    this.params = newParams(this.model);
    this.width = countWidth(this.model);
    this.acc = new Float64Array(W * this.width);
    this.psum = new Float64Array(K);
  }

  /** Folds an E-step's per-block statistics (shards in order); returns its log-likelihood and largest change. */
  fold(stats: EmStats[]): { ll: number; change: number } {
    this.acc.fill(0);
    this.psum.fill(0);
    let ll = 0;
    let change = 0;
    const { width } = this;
    const K = this.model.K;
    for (const s of stats) {
      const bll = b64ToF64(s.ll);
      const bch = b64ToF64(s.change);
      const ps = b64ToF64(s.psum);
      const rows = b64ToI32(s.rows);
      const index = b64ToI32(s.index);
      const values = b64ToF64(s.values);
      let r = 0;
      for (let b = 0; b < bll.length; b++) {
        ll += bll[b];
        change = bch[b] > change ? bch[b] : change;
        for (let k = 0; k < K; k++) this.psum[k] += ps[b * K + k];
        for (let j = 0; j < rows[b]; j++, r++) {
          const at = index[r] * width;
          for (let x = 0; x < width; x++) this.acc[at + x] += values[r * width + x];
        }
      }
    }
    return { ll, change };
  }

  /** Parameters from the folded counts. */
  finish(): void {
    const { width } = this;
    mStep(this.model, this.params, (w) => this.acc.subarray(w * width, (w + 1) * width), this.psum, this.Q);
  }

  /** The prior of the starting posterior (a run of 0 iterations). */
  reducePrior(): void {
    priorFrom(this.psum, this.Q, this.params.prior);
  }

  confusion(): Float64Array {
    return confusionOf(this.model, this.params.prob);
  }

  /**
   * The published parameters: prior [K], then confusions [W*K*A]. The
   * shards' scoring pass takes the same probability/log-space decision from
   * them (the smallest nonzero parameter) as params.logDomain.
   */
  publish(): Buffer {
    return Buffer.concat([f64Bytes(this.params.prior), f64Bytes(this.confusion())]);
  }
}

/** Refuses inputs a cluster cannot share (arrays in memory), and an unreachable Redis, before any work. */
export async function checkClusterInput(url: string, answers: unknown, original: unknown, pseudo: boolean, backend?: Backend): Promise<void> {
  if (typeof answers !== 'string') throw new UsageError('cluster: the answers must be a file the workers can read (a path on the shared filesystem)');
  if (pseudo && typeof original !== 'string') throw new UsageError('cluster: --pseudo-rater needs the original labels as a file the workers can read');
  await checkClusterBackend(url, backend);
}
