/**
 * WorkerPool.destroy() never terminates a thread that is running a task:
 * terminating one inside a native call (onnxruntime, sharp) can abort the
 * process. These tests hold a thread busy the way a native call does and
 * fail another task meanwhile; the busy task must finish, the tasks not yet
 * started must be cancelled, and nothing may be left running.
 */
import * as path from 'node:path';
import { WorkerPool } from '../../src/util/workers';

const WORKER = path.join(__dirname, 'fixtures', 'pool-worker.js');

function counters() {
  const buf = new SharedArrayBuffer(8);
  const view = new Int32Array(buf);
  return { buf, started: () => view[0], finished: () => view[1] };
}

/** Settles every promise, then reports each as a value or an error message. */
async function outcomes(ps: Promise<unknown>[]): Promise<string[]> {
  const rs = await Promise.allSettled(ps);
  return rs.map((r) => (r.status === 'fulfilled' ? `ok ${r.value}` : `error ${(r.reason as Error).message}`));
}

describe('WorkerPool.destroy()', () => {
  it.each(['throw', 'exit'])('after a task %ss, waits for the busy thread and cancels the queue', async (kind) => {
    const c = counters();
    const pool = new WorkerPool(WORKER, 2);
    const busy = pool.run({ kind: 'block', ms: 300, counters: c.buf, id: 1 });
    const failing = pool.run({ kind, counters: c.buf, id: 2 });
    const queued = [3, 4, 5].map((id) => pool.run({ kind: 'block', ms: 1, counters: c.buf, id }));
    // As a stage does: the first failure ends the run, and the pool is destroyed in a finally.
    await expect(Promise.all([busy, failing, ...queued])).rejects.toThrow(kind === 'throw' ? 'task 2 failed' : /exited with code: 3/);
    await pool.destroy();
    const [b, , ...q] = await outcomes([busy, failing, ...queued]);
    expect(b).toBe('ok 1'); // finished, not terminated
    expect(c.started()).toBe(c.finished() + 1); // every started task ended by itself (the failing one aside)
    // Tasks that had not started when the failure came are cancelled, not run.
    for (const r of q) expect(r).toMatch(/^(ok \d|error internal: task cancelled: its worker pool was destroyed)$/);
    expect(q.filter((r) => r.startsWith('error')).length).toBeGreaterThan(0);
  });

  it('runs every task when none fails, at most one per thread at a time', async () => {
    const c = counters();
    const pool = new WorkerPool(WORKER, 2);
    try {
      const ids = [1, 2, 3, 4, 5, 6, 7];
      expect(await Promise.all(ids.map((id) => pool.run({ kind: 'block', ms: 5, counters: c.buf, id })))).toEqual(ids);
      expect(c.finished()).toBe(ids.length);
    } finally {
      await pool.destroy();
    }
  });

  it('an aborted signal rejects at once, drops queued tasks and lets the running one finish', async () => {
    const c = counters();
    const pool = new WorkerPool(WORKER, 1);
    const controller = new AbortController();
    const busy = pool.run({ kind: 'block', ms: 300, counters: c.buf, id: 1 }, { signal: controller.signal });
    const queued = pool.run({ kind: 'block', ms: 1, counters: c.buf, id: 2 }, { signal: controller.signal });
    while (c.started() === 0) await new Promise((r) => setTimeout(r, 5)); // the busy task is running
    controller.abort();
    expect(await outcomes([busy, queued])).toEqual(['error The operation was aborted', 'error The operation was aborted']);
    await pool.destroy();
    expect([c.started(), c.finished()]).toEqual([1, 1]); // the running task finished; the queued one never started
    await expect(pool.run({ kind: 'block', ms: 1, counters: c.buf, id: 3 }, { signal: controller.signal })).rejects.toThrow(/destroyed worker pool/);
  });

  it('refuses tasks once destroyed', async () => {
    const pool = new WorkerPool(WORKER, 1);
    await pool.destroy();
    await expect(pool.run({ kind: 'block', ms: 1, counters: new SharedArrayBuffer(8), id: 1 })).rejects.toThrow(/destroyed worker pool/);
  });
});
