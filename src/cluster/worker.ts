/**
 * A cluster worker: takes jobs from the shared queue and from its own queue
 * (shards resident in this process across EM iterations), runs them, and
 * reports each result on the run's done list. SIGTERM (stop()) lets the
 * current jobs finish; a worker killed mid-job has its shared-queue jobs
 * retried by BullMQ's stalled-job check and its resident shards reloaded
 * elsewhere by the coordinator (the worker's alive key expires).
 */
import { randomUUID } from 'node:crypto';
import * as os from 'node:os';
import { UnrecoverableError, Worker, type Job } from 'bullmq';
import IORedis from 'ioredis';
import { connectFast, redisOptions } from './connection';
import { HANDLERS, type HandlerContext } from './handlers';
import { keys, PREFIX, SHARED_QUEUE, VERSION, type Done, type JobData } from './jobs';

export interface ClusterWorkerOptions {
  redis: string;
  /** Jobs run at once (default 1: the kernels use their own threads). */
  slots?: number;
  /** Lock of a running job; a dead worker's jobs are retried after about this long (default 30000). */
  lockMs?: number;
  /** Reports the worker's version as this (tests of the version check). */
  version?: string;
  log?: (line: string) => void;
}

export interface ClusterWorker {
  id: string;
  /** Stops taking jobs, finishes the running ones, disconnects. */
  stop(): Promise<void>;
  /** Resolves when the worker has stopped. */
  closed: Promise<void>;
}

export async function startWorker(opts: ClusterWorkerOptions): Promise<ClusterWorker> {
  const url = opts.redis;
  // Fail fast (exit 1 naming the URL) when Redis is not there at start.
  (await connectFast(url)).disconnect();
  const id = `${os.hostname()}-${process.pid}-${randomUUID().slice(0, 8)}`;
  const own = `w-${id}`;
  const lockMs = opts.lockMs ?? 30000;
  const version = opts.version ?? VERSION;
  const log = opts.log ?? (() => undefined);
  const redis = new IORedis({ ...redisOptions(url), maxRetriesPerRequest: null });
  redis.on('error', () => undefined);
  const ctx: HandlerContext = { redis, queue: own, state: new Map(), workerId: id };

  const process1 = async (job: Job<JobData>): Promise<void> => {
    const d = job.data;
    let done: Done;
    if (d.version !== version) {
      done = { key: d.key, ok: false, error: `worker ${id} runs realabel ${version} and refuses a job from realabel ${d.version}; run workers of the coordinator's version` };
    } else {
      const handler = HANDLERS[d.kind];
      try {
        if (!handler) throw new Error(`unknown job kind '${d.kind}'`);
        done = { key: d.key, ok: true, result: await handler(d.payload, ctx, d.run) };
      } catch (err) {
        const e = err as Error;
        done = { key: d.key, ok: false, error: e?.message ?? String(err) };
      }
    }
    await redis.rpush(keys.done(d.run), JSON.stringify(done));
    await redis.expire(keys.done(d.run), 3600);
    // A failed job is not retried: its inputs would fail again; the coordinator has the error.
    if (!done.ok) throw new UnrecoverableError(done.error);
  };
  const { host, port, username, password, db } = redisOptions(url);
  const connection = { host, port, username, password, db, maxRetriesPerRequest: null };
  const common = { connection, prefix: PREFIX, concurrency: opts.slots ?? 1, lockDuration: lockMs, stalledInterval: Math.max(500, Math.floor(lockMs / 2)), maxStalledCount: 3, removeOnComplete: { count: 0 }, removeOnFail: { count: 100 } };
  const workers = [new Worker<JobData>(SHARED_QUEUE, process1, common), new Worker<JobData>(own, process1, common)];
  for (const w of workers) w.on('error', (err) => log(`worker error: ${err.message}`));

  // The alive key tells the coordinator this worker still holds its resident shards.
  const beat = async () => {
    await redis.multi().set(keys.alive(own), id, 'PX', lockMs).sadd(keys.workers, own).exec();
  };
  await beat();
  const timer = setInterval(() => beat().catch(() => undefined), Math.max(100, Math.floor(lockMs / 3)));
  // The coordinator announces finished runs; drop their resident shards.
  const sub = new IORedis({ ...redisOptions(url), maxRetriesPerRequest: null });
  sub.on('error', () => undefined);
  await sub.subscribe(keys.ended);
  sub.on('message', (_ch, run: string) => {
    for (const k of [...ctx.state.keys()]) if (k.startsWith(`${run}:`)) ctx.state.delete(k);
  });
  log(`realabel ${version} worker ${id} on ${url} (queues ${SHARED_QUEUE}, ${own})`);

  let resolveClosed!: () => void;
  const closed = new Promise<void>((r) => (resolveClosed = r));
  let stopping: Promise<void> | null = null;
  const stop = () =>
    (stopping ??= (async () => {
      clearInterval(timer);
      // Let running jobs finish; if Redis is gone (or a job hangs) give up after a lock's length:
      // the job's lock then expires and another worker takes it.
      const graceful = Promise.all(workers.map((w) => w.close()));
      const late = await Promise.race([graceful.then(() => false), new Promise<boolean>((r) => setTimeout(() => r(true), Math.min(lockMs, 10000)).unref())]);
      if (late) await Promise.race([Promise.all(workers.map((w) => w.close(true).catch(() => undefined))), new Promise((r) => setTimeout(r, 1000).unref())]);
      // Tidy up if Redis is there (a lost Redis would queue these forever).
      if (redis.status === 'ready') {
        const tidy = redis.multi().del(keys.alive(own)).srem(keys.workers, own).exec().catch(() => undefined);
        await Promise.race([tidy, new Promise((r) => setTimeout(r, 1000).unref())]);
      }
      sub.disconnect();
      redis.disconnect();
      resolveClosed();
    })());
  return { id, stop, closed };
}
