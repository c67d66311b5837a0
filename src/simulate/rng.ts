/**
 * Deterministic random numbers for the simulator: xoshiro128** seeded through
 * splitmix32, one independent stream per (seed, stream, chunk), so any worker
 * can regenerate any chunk and the output never depends on the worker count.
 */

function splitmix32(state: { s: number }): number {
  state.s = (state.s + 0x9e3779b9) | 0;
  let z = state.s;
  z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
  z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
  return (z ^ (z >>> 16)) >>> 0;
}

function mix32(x: number): number {
  return splitmix32({ s: x });
}

export class Rng {
  private a: number;
  private b: number;
  private c: number;
  private d: number;

  /** A stream keyed by a seed and any number of integers (stream id, chunk...). */
  constructor(seed: number, ...keys: number[]) {
    let h = mix32(seed | 0);
    h = mix32(h ^ Math.floor(seed / 2 ** 32));
    for (const k of keys) h = mix32(mix32(h ^ (k | 0)) ^ Math.floor(k / 2 ** 32));
    const st = { s: h };
    this.a = splitmix32(st) | 0;
    this.b = splitmix32(st) | 0;
    this.c = splitmix32(st) | 0;
    this.d = splitmix32(st) | 0;
    if ((this.a | this.b | this.c | this.d) === 0) this.a = 1;
  }

  /** A uniform 32-bit unsigned integer (xoshiro128**). */
  nextU32(): number {
    const r = Math.imul(rotl(Math.imul(this.b, 5), 7), 9);
    const t = this.b << 9;
    this.c ^= this.a;
    this.d ^= this.b;
    this.b ^= this.c;
    this.a ^= this.d;
    this.c ^= t;
    this.d = rotl(this.d, 11);
    return r >>> 0;
  }

  /** Uniform in [0, 1). */
  next(): number {
    return this.nextU32() / 4294967296;
  }

  /** Uniform integer in [0, n). */
  int(n: number): number {
    return Math.floor(this.next() * n);
  }

  /** Fills `out` with approximately standard normal values (2 per 32-bit draw). */
  normals(out: Float32Array | Float64Array, start = 0, end = out.length): void {
    const table = normalTable();
    let i = start;
    for (; i + 1 < end; i += 2) {
      const u = this.nextU32();
      out[i] = table[u & 0xffff];
      out[i + 1] = table[u >>> 16];
    }
    if (i < end) out[i] = table[this.nextU32() & 0xffff];
  }

  /** One approximately standard normal value. */
  normal(): number {
    return normalTable()[this.nextU32() & 0xffff];
  }
}

function rotl(x: number, k: number): number {
  return (x << k) | (x >>> (32 - k));
}

let table: Float64Array | undefined;

/**
 * Quantiles of N(0, 1) at (i + 0.5) / 65536: sampling a 16-bit index gives a
 * normal value to 16-bit resolution (tails cut at about 4.3 sigma), an order
 * of magnitude faster than Box-Muller, which matters for GBs of logits.
 */
function normalTable(): Float64Array {
  if (table) return table;
  table = new Float64Array(65536);
  for (let i = 0; i < 65536; i++) table[i] = inverseNormalCdf((i + 0.5) / 65536);
  return table;
}

/** Acklam's rational approximation of the standard normal quantile (relative error < 1.2e-9). */
export function inverseNormalCdf(p: number): number {
  const a = [-39.69683028665376, 220.9460984245205, -275.9285104469687, 138.357751867269, -30.66479806614716, 2.506628277459239];
  const b = [-54.47609879822406, 161.5858368580409, -155.6989798598866, 66.80131188771972, -13.28068155288572];
  const c = [-0.007784894002430293, -0.3223964580411365, -2.400758277161838, -2.549732539343734, 4.374664141464968, 2.938163982698783];
  const d = [0.007784695709041462, 0.3224671290700398, 2.445134137142996, 3.754408661907416];
  const tail = (q: number) =>
    (((((c[0] * q + c[1]) * q + c[2]) * q + c[3]) * q + c[4]) * q + c[5]) / ((((d[0] * q + d[1]) * q + d[2]) * q + d[3]) * q + 1);
  if (p < 0.02425) return tail(Math.sqrt(-2 * Math.log(p)));
  if (p > 1 - 0.02425) return -tail(Math.sqrt(-2 * Math.log(1 - p)));
  const q = p - 0.5;
  const r = q * q;
  return (
    ((((((a[0] * r + a[1]) * r + a[2]) * r + a[3]) * r + a[4]) * r + a[5]) * q) /
    (((((b[0] * r + b[1]) * r + b[2]) * r + b[3]) * r + b[4]) * r + 1)
  );
}
