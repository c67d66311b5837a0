/**
 * Coordinator side of `evaluate --cluster`: every model's rows split into
 * shards; the shards' integer counts are summed per model and the metrics
 * formed exactly as the single-machine Scorer forms them.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { EvaluateResult, ModelResult } from '../evaluate/evaluate';
import type { OpenedSource } from '../evaluate/npy-source';
import type { MetricCounts, Metrics, PerClassCounts } from '../evaluate/scorer';
import type { Backend } from '../native/addon';
import { Coordinator } from './coordinator';
import type { EvalShard, EvalShardResult } from './evaluate-shard';
import { b64ToI32 } from './jobs';

export interface ClusterEvaluateInput {
  cluster: string;
  labels: string;
  original?: string;
  opened: OpenedSource[];
  numClasses: number;
  n: number;
  backend?: Backend;
  threads?: number;
  shards?: number;
  scratch?: string;
}

export async function evaluateOnCluster(input: ClusterEvaluateInput): Promise<EvaluateResult> {
  const c = await Coordinator.open(input.cluster);
  const dir = fs.mkdtempSync(path.join(input.scratch ?? os.tmpdir(), '.realabel-cluster-'));
  try {
    const live = (await c.liveQueues()).length;
    const M = input.opened.length;
    const per = Math.max(1, Math.min(input.n, input.shards ?? Math.ceil((2 * live) / M)));
    const tasks = input.opened.flatMap(({ source }, m) =>
      Array.from({ length: per }, (_, s) => {
        const payload: EvalShard = {
          labels: path.resolve(input.labels), original: input.original && path.resolve(input.original), predictions: path.resolve(source.file!),
          numClasses: input.numClasses, r0: Math.floor((input.n * s) / per), r1: Math.floor((input.n * (s + 1)) / per),
          backend: input.backend, threads: input.threads, top1Out: path.join(dir, `m${m}-s${s}.i32`),
        };
        return { key: `m${m}:${s}`, kind: 'evaluate', payload };
      }),
    );
    await c.submit(tasks);
    const got = await c.collect(tasks.map((t) => t.key));
    const models = input.opened.map(({ source }, m): ModelResult => {
      const parts = Array.from({ length: per }, (_, s) => got.get(`m${m}:${s}`) as EvalShardResult);
      const top1 = new Int32Array(input.n);
      for (let s = 0; s < per; s++) {
        const b = fs.readFileSync(tasks[m * per + s].payload.top1Out);
        new Uint8Array(top1.buffer, top1.byteOffset + tasks[m * per + s].payload.r0 * 4, b.length).set(b);
      }
      const { metrics: mt, counts } = metrics(parts, input.n);
      // The key order of modelResult (the --json output is compared byte for byte).
      return { name: source.name, file: source.file, kind: source.kind, ...mt, counts, perClass: perClass(parts, input.numClasses), top1 };
    });
    return { numClasses: input.numClasses, models };
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
    await c.close();
  }
}

/** Summed counts, and the metrics as Scorer.result forms them. */
function metrics(parts: EvalShardResult[], n: number) {
  const sum = (k: keyof MetricCounts) => (parts[0].counts[k] === null ? null : parts.reduce((s, p) => s + (p.counts[k] as number), 0));
  const counts: MetricCounts = { realTop1: sum('realTop1')!, realTop5: sum('realTop5'), realStrict: sum('realStrict'), originalTop1: sum('originalTop1'), originalTop5: sum('originalTop5'), n };
  const scored = parts.reduce((s, p) => s + p.scored, 0);
  const frac = (x: number | null, d: number) => (x === null ? null : d > 0 ? x / d : null);
  const mt: Metrics = {
    realTop1: frac(counts.realTop1, scored),
    realTop5: frac(counts.realTop5, scored),
    originalTop1: frac(counts.originalTop1, n),
    originalTop5: frac(counts.originalTop5, n),
    realStrict: frac(counts.realStrict, scored),
    nScored: scored,
    nSkipped: n - scored,
  };
  return { metrics: mt, counts };
}

function perClass(parts: EvalShardResult[], C: number): PerClassCounts {
  const add = (k: keyof PerClassCounts): Int32Array | null => {
    if (parts[0].perClass[k] === null) return null;
    const out = new Int32Array(C);
    for (const p of parts) {
      const x = b64ToI32(p.perClass[k]!);
      for (let j = 0; j < C; j++) out[j] += x[j];
    }
    return out;
  };
  return { originalN: add('originalN')!, originalTop1: add('originalTop1')!, originalTop5: add('originalTop5'), realN: add('realN')!, realTop1: add('realTop1')!, realTop5: add('realTop5') };
}
