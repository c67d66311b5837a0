/**
 * Coordinator side of `propose --cluster`: one job per model (each scans
 * its whole file, as a single machine's worker thread does), then the
 * scans are pooled here with the single-machine pooling, so the proposals
 * are the same bytes. (Top-K over image shards with an exact merge is the
 * `topk` stage's plan in docs/scale.md; it is not implemented yet.)
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { Backend } from '../native/addon';
import type { ModelScan } from '../propose/scan';
import { Coordinator } from './coordinator';
import { decodeScan, type ProposeShard } from './propose-shard';

export interface ClusterScanInput {
  cluster: string;
  logits: string[];
  k: number;
  threads?: number;
  backend?: Backend;
  chunkBytes?: number;
  scratch?: string;
}

export async function scanOnCluster(input: ClusterScanInput): Promise<ModelScan[]> {
  const c = await Coordinator.open(input.cluster);
  const dir = fs.mkdtempSync(path.join(input.scratch ?? os.tmpdir(), '.realabel-cluster-'));
  try {
    const tasks = input.logits.map((file, m) => {
      const payload: ProposeShard = {
        file: path.resolve(file), k: input.k, threads: input.threads, backend: input.backend,
        chunkBytes: input.chunkBytes ?? 16 << 20, out: path.join(dir, `model-${m}.scan`),
      };
      return { key: `m${m}`, kind: 'propose-scan', payload };
    });
    await c.submit(tasks);
    await c.collect(tasks.map((t) => t.key));
    return tasks.map((t) => decodeScan(fs.readFileSync(t.payload.out)));
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
    await c.close();
  }
}
