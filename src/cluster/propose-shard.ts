/**
 * Worker side of `propose --cluster`: one model's logits file scanned by the
 * very function a single machine's Piscina worker runs (scanFile), its top-K
 * pairs and top-1s written to a scratch file for the coordinator to pool.
 */
import { writeFileAtomicSync } from '../io/atomic';
import { hasNative, type Backend } from '../native/addon';
import { scanFile } from '../propose/worker';
import type { ModelScan } from '../propose/scan';

export interface ProposeShard {
  file: string;
  k: number;
  threads?: number;
  backend?: Backend;
  chunkBytes: number;
  out: string;
}

/** [counts: 3 x int32 (logit pairs, prob pairs, top1)] then the arrays, raw. */
export function encodeScan(s: ModelScan): Uint8Array[] {
  const head = Int32Array.from([s.byLogit.image.length, s.byProb.image.length, s.top1.length]);
  const parts = [head, s.byLogit.image, s.byLogit.label, s.byLogit.value, s.byProb.image, s.byProb.label, s.byProb.value, s.top1];
  return parts.map((p) => new Uint8Array(p.buffer, p.byteOffset, p.byteLength));
}

export function decodeScan(b: Buffer): ModelScan {
  const bytes = new Uint8Array(b.length);
  bytes.set(b);
  const [nl, np, nt] = new Int32Array(bytes.buffer, 0, 3);
  let at = 12;
  const take = <T>(Ctor: new (buf: ArrayBuffer, off: number, len: number) => T, len: number): T => {
    const x = new Ctor(bytes.buffer, at, len);
    at += len * 4;
    return x;
  };
  const byLogit = { image: take(Int32Array, nl), label: take(Int32Array, nl), value: take(Float32Array, nl) };
  const byProb = { image: take(Int32Array, np), label: take(Int32Array, np), value: take(Float32Array, np) };
  return { byLogit, byProb, top1: take(Int32Array, nt) };
}

export async function proposeShard(p: ProposeShard): Promise<null> {
  const backend: Backend = p.backend === 'ts' || !hasNative() ? 'ts' : 'native';
  const { n: _n, c: _c, ...scan } = scanFile({ file: p.file, k: p.k, threads: p.threads, backend, chunkBytes: p.chunkBytes });
  writeFileAtomicSync(p.out, encodeScan(scan));
  return null;
}
