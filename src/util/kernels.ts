/**
 * The kernel calls the stages await, one function per kernel, each taking the
 * kernel's options plus `signal`. They are the kernel layer's async functions
 * (native: a Napi::AsyncWorker on libuv's pool; twin: a Piscina worker), so
 * the event loop stays free during the kernel itself; kept as one module so
 * the stages have one import for them.
 */
import { goldScore, type GoldScoreInput, type GoldScoreResult } from '../aggregate/gold';
import { runEm, type EmKernelOptions, type EmProblem, type EmResult } from '../aggregate/em';
import { majorityVote, type MajorityVoteOptions } from '../aggregate/mv';
import type { CompactAnswers } from '../aggregate/problem';
import { topkRows, type RowTopKOptions } from '../evaluate/topk';
import type { ScoreArray } from '../evaluate/topk-ts';
import type { Backend } from '../native/addon';
import { poolPairs, type PoolInput, type Pooled } from '../pool/pool';
import { topk, type Pairs, type TopKOptions } from '../topk/topk';

export interface Cancel {
  signal?: AbortSignal;
}

export function topkAsync(data: Float32Array | Float64Array, n: number, c: number, k: number, opts: TopKOptions & Cancel = {}): Promise<Pairs> {
  return topk(data, n, c, k, opts);
}

export function topkRowsAsync(scores: ScoreArray, n: number, c: number, k: number, opts: RowTopKOptions & Cancel = {}): Promise<Int32Array> {
  return topkRows(scores, n, c, k, opts);
}

export function runEmAsync(problems: EmProblem[], opts: EmKernelOptions, backend?: Backend, signal?: AbortSignal): Promise<EmResult[]> {
  return runEm(problems, { ...opts, backend, signal });
}

export function majorityVoteAsync(ans: CompactAnswers, opts: MajorityVoteOptions & Cancel = {}): Promise<Float64Array> {
  return majorityVote(ans, opts);
}

export function goldScoreAsync(input: GoldScoreInput & Cancel): Promise<GoldScoreResult> {
  return goldScore(input);
}

export function poolPairsAsync(input: PoolInput, opts: { backend?: Backend } & Cancel = {}): Promise<Pooled> {
  return poolPairs(input, opts);
}
