/**
 * The coordinator's side of a run: adds jobs, waits for their results on the
 * run's done list, keeps shards resident on the workers that loaded them,
 * and reloads a shard elsewhere when its worker's alive key expires.
 * Every wait checks Redis: a lost connection ends the run with a
 * ClusterError naming the URL.
 */
import { randomUUID } from 'node:crypto';
import { Queue } from 'bullmq';
import type IORedis from 'ioredis';
import { ClusterError, connectFast, reason, redisOptions } from './connection';
import { keys, PREFIX, SHARED_QUEUE, VERSION, type Done, type JobData } from './jobs';

export interface CoordinatorOptions {
  /** How long to wait with no live worker before giving up (default 30 s). */
  noWorkerTimeoutMs?: number;
}

export interface Task {
  key: string;
  kind: string;
  payload: unknown;
  /** A worker's own queue (resident shard); default the shared queue. */
  queue?: string;
}

export class Coordinator {
  readonly run = randomUUID();
  private readonly queues = new Map<string, Queue>();
  private pending = new Map<string, Task>();
  private readonly blobs = new Set<string>();
  private constructor(
    readonly url: string,
    private readonly redis: IORedis,
    private readonly blocking: IORedis,
    private readonly opts: CoordinatorOptions,
  ) {}

  /** Connects (exit-1 error naming the URL when Redis is unreachable) and checks that a worker is there. */
  static async open(url: string, opts: CoordinatorOptions = {}): Promise<Coordinator> {
    const redis = await connectFast(url);
    const blocking = await connectFast(url).catch((err) => {
      redis.disconnect();
      throw err;
    });
    const c = new Coordinator(url, redis, blocking, opts);
    try {
      if ((await c.liveQueues()).length === 0) await c.waitForWorker();
    } catch (err) {
      await c.close();
      throw err;
    }
    return c;
  }

  /** Queues of the workers whose alive key still exists. */
  async liveQueues(): Promise<string[]> {
    const all = await this.call(() => this.redis.smembers(keys.workers));
    if (all.length === 0) return [];
    const alive = await this.call(() => Promise.all(all.map((q) => this.redis.exists(keys.alive(q)))));
    const dead = all.filter((_, i) => !alive[i]);
    if (dead.length) await this.call(() => this.redis.srem(keys.workers, ...dead));
    return all.filter((_, i) => alive[i]);
  }

  private async waitForWorker(): Promise<void> {
    const limit = Date.now() + (this.opts.noWorkerTimeoutMs ?? 30000);
    while ((await this.liveQueues()).length === 0) {
      if (Date.now() > limit) throw new ClusterError(`no realabel worker is connected to ${this.url} (start one with: realabel cluster worker --redis ${this.url})`);
      await new Promise((r) => setTimeout(r, 200));
    }
  }

  /** Stores a blob (parameters) for the workers; it expires with the run. */
  async putBlob(name: string, data: Buffer): Promise<void> {
    this.blobs.add(name);
    await this.call(() => this.redis.set(keys.blob(this.run, name), data, 'EX', 3600));
  }

  async deleteBlob(name: string): Promise<void> {
    this.blobs.delete(name);
    await this.call(() => this.redis.del(keys.blob(this.run, name)));
  }

  /** Adds the tasks (grouped by queue, one round trip per queue). */
  async submit(tasks: Task[]): Promise<void> {
    const byQueue = new Map<string, Task[]>();
    for (const t of tasks) {
      this.pending.set(t.key, t);
      const q = t.queue ?? SHARED_QUEUE;
      byQueue.set(q, [...(byQueue.get(q) ?? []), t]);
    }
    await Promise.all(
      [...byQueue].map(([q, list]) =>
        this.call(() =>
          this.queue(q).addBulk(
            list.map((t) => ({
              name: t.kind,
              data: { version: VERSION, run: this.run, key: t.key, kind: t.kind, payload: t.payload } satisfies JobData,
              opts: { removeOnComplete: true, removeOnFail: 100, attempts: 1 },
            })),
          ),
        ),
      ),
    );
  }

  /**
   * Waits for the results of these keys. `rescue(task)` is called for a
   * task whose worker queue has no live worker: it returns the task to run
   * instead (on the shared queue). A failed task fails the run.
   */
  async collect(want: string[], rescue?: (t: Task) => Task): Promise<Map<string, unknown>> {
    const left = new Set(want);
    const got = new Map<string, unknown>();
    let quietSince = Date.now();
    while (left.size) {
      const item = await this.call(() => this.blocking.blpop(keys.done(this.run), 0.25));
      if (item) {
        const d = JSON.parse(item[1]) as Done;
        if (!left.has(d.key)) continue; // a retried job reporting twice
        if (!d.ok) throw new ClusterError(d.error ?? 'a cluster job failed');
        left.delete(d.key);
        this.pending.delete(d.key);
        got.set(d.key, d.result);
        quietSince = Date.now();
        continue;
      }
      const live = new Set(await this.liveQueues());
      if (live.size === 0) {
        if (Date.now() - quietSince > (this.opts.noWorkerTimeoutMs ?? 30000)) throw new ClusterError(`no live realabel worker on ${this.url}; the run cannot finish`);
        continue;
      }
      quietSince = Date.now();
      if (!rescue) continue;
      const moved: Task[] = [];
      for (const key of left) {
        const t = this.pending.get(key);
        if (t?.queue && !live.has(t.queue)) moved.push(rescue(t));
      }
      if (moved.length) await this.submit(moved);
    }
    return got;
  }

  private queue(name: string): Queue {
    let q = this.queues.get(name);
    if (!q) {
      q = new Queue(name, { connection: this.redis, prefix: PREFIX });
      q.on('error', () => undefined);
      this.queues.set(name, q);
    }
    return q;
  }

  /** Runs a Redis command; a lost connection becomes a ClusterError naming the URL. */
  private async call<T>(fn: () => Promise<T>): Promise<T> {
    try {
      return await fn();
    } catch (err) {
      if (err instanceof ClusterError) throw err;
      throw new ClusterError(`lost the connection to Redis at ${this.url}: ${reason(err)}`);
    }
  }

  /** Tells workers to drop the run's shards, removes its keys, disconnects. */
  async close(): Promise<void> {
    try {
      if (this.redis.status === 'ready') {
        await this.redis.publish(keys.ended, this.run);
        await this.redis.del(keys.done(this.run), ...[...this.blobs].map((b) => keys.blob(this.run, b)));
      }
    } catch {
      // Redis is gone: the keys expire by themselves.
    }
    await Promise.all([...this.queues.values()].map((q) => q.close().catch(() => undefined)));
    this.redis.disconnect();
    this.blocking.disconnect();
  }
}

export { redisOptions };
