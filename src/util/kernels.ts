/**
 * The kernel calls the stages await, one function per kernel. Each takes the
 * kernel's options plus `signal`, and is the one line to swap for the kernel
 * layer's async function (native: a Napi::AsyncWorker on libuv's pool; twin:
 * a Piscina worker), which is what keeps the event loop free during the
 * kernel itself. Until a kernel has one, the call runs here synchronously,
 * after a yield to the event loop and a check of the signal.
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
import { pause } from './abort';

export interface Cancel {
  signal?: AbortSignal;
}

export async function topkAsync(data: Float32Array | Float64Array, n: number, c: number, k: number, opts: TopKOptions & Cancel = {}): Promise<Pairs> {
  await pause(opts.signal);
  return topk(data, n, c, k, opts);
}

export async function topkRowsAsync(scores: ScoreArray, n: number, c: number, k: number, opts: RowTopKOptions & Cancel = {}): Promise<Int32Array> {
  await pause(opts.signal);
  return topkRows(scores, n, c, k, opts);
}

export async function runEmAsync(problems: EmProblem[], opts: EmKernelOptions, backend?: Backend, signal?: AbortSignal): Promise<EmResult[]> {
  await pause(signal);
  return runEm(problems, opts, backend);
}

export async function majorityVoteAsync(ans: CompactAnswers, opts: MajorityVoteOptions & Cancel = {}): Promise<Float64Array> {
  await pause(opts.signal);
  return majorityVote(ans, opts);
}

export async function goldScoreAsync(input: GoldScoreInput & Cancel): Promise<GoldScoreResult> {
  await pause(input.signal);
  return goldScore(input);
}

export async function poolPairsAsync(input: PoolInput, opts: { backend?: Backend } & Cancel = {}): Promise<Pooled> {
  await pause(opts.signal);
  return poolPairs(input, opts);
}
