/**
 * TEMPORARY sort-based stand-in for the top-K kernel (branch `topk`), for
 * local testing of `propose` only. It is removed before this branch is merged.
 */
import type { Backend } from '../native/addon';

export type Criterion = 'logit' | 'prob';
export interface Pairs {
  image: Int32Array;
  label: Int32Array;
  value: Float32Array;
}
export interface TopKOptions {
  criterion?: Criterion;
  threads?: number;
  backend?: Backend;
  file?: string;
}

export class TopKStream {
  private keys: number[] = [];
  private flats: number[] = [];
  private seen = 0;

  constructor(
    private readonly c: number,
    private readonly k: number,
    private readonly opts: TopKOptions = {},
  ) {}

  get rowsSeen(): number {
    return this.seen;
  }

  push(rows: Float32Array | Float64Array, nRows: number): void {
    const { c } = this;
    for (let r = 0; r < nRows; r++) {
      let shift = 0;
      if (this.opts.criterion === 'prob') {
        let m = -Infinity;
        for (let j = 0; j < c; j++) m = Math.max(m, rows[r * c + j]);
        let s = 0;
        for (let j = 0; j < c; j++) s += Math.exp(rows[r * c + j] - m);
        shift = m + Math.log(s);
      }
      for (let j = 0; j < c; j++) {
        this.keys.push(rows[r * c + j] - shift);
        this.flats.push((this.seen + r) * c + j);
      }
    }
    this.seen += nRows;
    if (this.keys.length > 4 * this.k + 100000) this.prune();
  }

  private prune(): void {
    const idx = this.keys.map((_, i) => i);
    idx.sort((a, b) => this.keys[b] - this.keys[a] || this.flats[a] - this.flats[b]);
    const keep = idx.slice(0, this.k);
    this.keys = keep.map((i) => this.keys[i]);
    this.flats = keep.map((i) => this.flats[i]);
  }

  finish(): Pairs {
    this.prune();
    const n = this.keys.length;
    const out = { image: new Int32Array(n), label: new Int32Array(n), value: new Float32Array(n) };
    for (let i = 0; i < n; i++) {
      out.image[i] = Math.floor(this.flats[i] / this.c);
      out.label[i] = this.flats[i] % this.c;
      out.value[i] = this.opts.criterion === 'prob' ? Math.exp(this.keys[i]) : this.keys[i];
    }
    return out;
  }
}

export function topk(data: Float32Array | Float64Array, n: number, c: number, k: number, opts?: TopKOptions): Pairs {
  const s = new TopKStream(c, k, opts);
  s.push(data, n);
  return s.finish();
}
