/**
 * Read buffers borrowed and given back, so that chunked readers reuse memory
 * across chunks and across files. On the machines realabel was measured on,
 * the first touch of fresh memory costs 4-7 ms per MB, reading the page cache
 * into memory already touched well under 0.2 ms per MB (docs/io.md): `propose`
 * over 19 models and `evaluate` over 20 allocated a fresh 16-32 MB per model.
 *
 * A borrowed buffer belongs to its borrower until given back; each thread
 * (worker) has its own pool. The pool keeps a few buffers, and only
 * moderately sized ones, so it never holds much memory.
 */

const MAX_KEPT = 4;
const MAX_KEPT_BYTES = 64 << 20;
const free: Uint8Array[] = [];

/** A buffer of at least `bytes` bytes (byteOffset 0, contents undefined). */
export function borrowBuffer(bytes: number): Uint8Array {
  let best = -1;
  for (let i = 0; i < free.length; i++) {
    if (free[i].length >= bytes && (best < 0 || free[i].length < free[best].length)) best = i;
  }
  if (best >= 0) return free.splice(best, 1)[0];
  return new Uint8Array(bytes);
}

/** Gives a borrowed buffer back; it must not be used afterwards. */
export function giveBack(buf: Uint8Array): void {
  if (buf.byteOffset !== 0 || buf.length === 0 || buf.length > MAX_KEPT_BYTES || free.includes(buf)) return;
  free.push(buf);
  // Keep the largest few: a later reader of the same chunk size finds one.
  if (free.length > MAX_KEPT) {
    free.sort((a, b) => b.length - a.length);
    free.length = MAX_KEPT;
  }
}

/** Buffers held by this thread's pool (tests). */
export function pooledBuffers(): number {
  return free.length;
}
