/** Job kinds a worker runs, by name. */
import type IORedis from 'ioredis';
import { emEmit, emStep, mvShard, scoreShard } from './aggregate-shard';
import { evalShard } from './evaluate-shard';
import { proposeShard } from './propose-shard';

export interface HandlerContext {
  /** A reconnecting connection for blobs and results. */
  redis: IORedis;
  /** This worker's own queue (where its resident shards get their jobs). */
  queue: string;
  /** Resident shards, by `${run}:${shard}`. */
  state: Map<string, unknown>;
  workerId: string;
}

export type Handler = (payload: any, ctx: HandlerContext, run: string) => Promise<unknown>;

export const HANDLERS: Record<string, Handler> = {
  'agg-mv': mvShard,
  'agg-score': scoreShard,
  'em-step': emStep,
  'em-emit': emEmit,
  evaluate: evalShard,
  'propose-scan': proposeShard,
};
