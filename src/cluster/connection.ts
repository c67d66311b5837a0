/**
 * Redis connections for the cluster. The coordinator's connection fails fast
 * (no offline queue, no reconnect), so a lost Redis ends the run with an
 * error instead of a hang; workers' BullMQ connections reconnect.
 */
import IORedis, { type RedisOptions } from 'ioredis';
import { RealabelError, UsageError } from '../errors';

/** A cluster failure the user can act on (Redis unreachable or lost, a job refused). */
export class ClusterError extends RealabelError {
  constructor(message: string) {
    super('E_CLUSTER', message);
    this.name = 'ClusterError';
  }
}

/** redis://[user:password@]HOST[:PORT][/DB] as ioredis options. */
export function redisOptions(url: string): RedisOptions {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    throw new UsageError(`the Redis URL must look like redis://HOST:PORT, got '${url}'`);
  }
  if (u.protocol !== 'redis:') throw new UsageError(`the Redis URL must look like redis://HOST:PORT, got '${url}'`);
  const db = u.pathname.length > 1 ? Number(u.pathname.slice(1)) : 0;
  if (!Number.isInteger(db) || db < 0) throw new UsageError(`the Redis URL's database must be a number, got '${url}'`);
  return {
    host: u.hostname || '127.0.0.1',
    port: u.port ? Number(u.port) : 6379,
    username: u.username ? decodeURIComponent(u.username) : undefined,
    password: u.password ? decodeURIComponent(u.password) : undefined,
    db,
  };
}

/** Connects without retries; unreachable within timeoutMs is a ClusterError naming the URL. */
export async function connectFast(url: string, timeoutMs = 4000): Promise<IORedis> {
  const redis = new IORedis({
    ...redisOptions(url),
    lazyConnect: true,
    connectTimeout: timeoutMs,
    maxRetriesPerRequest: 0,
    enableOfflineQueue: false,
    retryStrategy: () => null,
  });
  // Errors surface through the failing command; keep the first for the message (ECONNREFUSED...).
  let first: unknown;
  redis.on('error', (err) => (first ??= err));
  let timer: NodeJS.Timeout | undefined;
  try {
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`no answer within ${timeoutMs} ms`)), timeoutMs);
    });
    await Promise.race([redis.connect().then(() => redis.ping()), timeout]);
    return redis;
  } catch (err) {
    redis.disconnect();
    throw new ClusterError(`cannot reach Redis at ${url}: ${reason(first ?? err)}`);
  } finally {
    clearTimeout(timer);
  }
}

/** Fails fast (ClusterError naming the URL) unless Redis answers. */
export async function checkReachable(url: string): Promise<void> {
  (await connectFast(url)).disconnect();
}

/** Before any work: the workers run the CPU kernels, and Redis must answer. */
export async function checkClusterBackend(url: string, backend?: string): Promise<void> {
  if (backend === 'cuda') throw new UsageError('cluster: workers run the CPU kernels (native or ts); --backend cuda does not apply');
  await checkReachable(url);
}

export function reason(err: unknown): string {
  const e = err as { message?: string; code?: string };
  return e?.code ?? e?.message ?? String(err);
}
