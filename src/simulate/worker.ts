/**
 * Piscina worker for `simulate`: generates a range of row chunks for every
 * model and writes them in place into the (pre-sized) .npy files.
 */
import * as fs from 'node:fs';
import { CHUNK_ROWS, generateChunk, type SimulationPlan } from './simulate';

export interface SimulateTask {
  plan: SimulationPlan;
  chunkStart: number;
  chunkEnd: number;
  files: string[];
  headerBytes: number;
}

export default function simulateChunks(task: SimulateTask): number {
  const { plan, files, headerBytes } = task;
  const fds = files.map((f) => fs.openSync(f, 'r+'));
  try {
    const bufs = files.map(() => new Float32Array(CHUNK_ROWS * plan.c));
    const shared = new Float32Array(CHUNK_ROWS * plan.c);
    for (let k = task.chunkStart; k < task.chunkEnd; k++) {
      generateChunk(plan, k, bufs, 0, shared);
      const rows = Math.min(CHUNK_ROWS, plan.n - k * CHUNK_ROWS);
      const bytes = rows * plan.c * 4;
      const pos = headerBytes + k * CHUNK_ROWS * plan.c * 4;
      fds.forEach((fd, m) => writeFully(fd, new Uint8Array(bufs[m].buffer, 0, bytes), pos));
    }
  } finally {
    for (const fd of fds) fs.closeSync(fd);
  }
  return task.chunkEnd - task.chunkStart;
}

function writeFully(fd: number, data: Uint8Array, pos: number): void {
  let off = 0;
  while (off < data.length) off += fs.writeSync(fd, data, off, data.length - off, pos + off);
}
