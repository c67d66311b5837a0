/**
 * What travels through Redis: job names, their data, result keys and
 * encodings. Only job descriptions, file paths, shard bounds and small
 * statistics (per-worker counts, per-block sums) go through Redis; arrays of
 * data stay in files on the shared filesystem.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';

export const PREFIX = 'realabel';
/** The queue every worker listens on; each worker also has its own queue for resident shards. */
export const SHARED_QUEUE = 'shared';

/** This package's version: a worker refuses jobs from another version. */
export const VERSION: string = JSON.parse(fs.readFileSync(path.join(__dirname, '..', '..', 'package.json'), 'utf8')).version;

export interface JobData {
  version: string;
  run: string;
  /** Unique within the run: the coordinator waits for this key. */
  key: string;
  kind: string;
  payload: unknown;
}

/** What a worker reports on the run's done list. */
export interface Done {
  key: string;
  ok: boolean;
  result?: unknown;
  error?: string;
}

export const keys = {
  done: (run: string) => `${PREFIX}:run:${run}:done`,
  blob: (run: string, name: string) => `${PREFIX}:run:${run}:blob:${name}`,
  alive: (queue: string) => `${PREFIX}:alive:${queue}`,
  workers: `${PREFIX}:workers`,
  ended: `${PREFIX}:ended`,
};

/** Float64Array <-> base64 (exact bytes; JSON would round-trip too, but slower and larger). */
export function f64ToB64(x: Float64Array): string {
  return Buffer.from(x.buffer, x.byteOffset, x.byteLength).toString('base64');
}

export function b64ToF64(s: string): Float64Array {
  const b = Buffer.from(s, 'base64');
  const out = new Float64Array(b.length / 8);
  new Uint8Array(out.buffer).set(b);
  return out;
}

export function i32ToB64(x: Int32Array): string {
  return Buffer.from(x.buffer, x.byteOffset, x.byteLength).toString('base64');
}

export function b64ToI32(s: string): Int32Array {
  const b = Buffer.from(s, 'base64');
  const out = new Int32Array(b.length / 4);
  new Uint8Array(out.buffer).set(b);
  return out;
}

/** Bytes of a Float64Array, for Redis blobs. */
export function f64Bytes(x: Float64Array): Buffer {
  return Buffer.from(x.buffer, x.byteOffset, x.byteLength);
}

export function bytesF64(b: Buffer): Float64Array {
  const out = new Float64Array(b.length / 8);
  new Uint8Array(out.buffer).set(b);
  return out;
}
