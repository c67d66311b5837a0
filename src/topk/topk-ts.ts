/**
 * Pure-TypeScript twin of native/topk*.cc: exact top-K over an [N, C] matrix
 * under the total order (key descending, flat index ascending), consumed in
 * row chunks with O(K) state. Same keys (topk-math.ts), same result, bit for
 * bit; a plain running threshold instead of the native sampling and SIMD.
 */
import { ValidationError } from '../errors';
import { expNonPositive, rowLse } from './topk-math';

export type Criterion = 'logit' | 'prob';

export interface Pairs {
  image: Int32Array;
  label: Int32Array;
  value: Float32Array;
}

/** The message both backends use for a non-finite entry. */
export function nonFiniteMessage(row: number, col: number, v: number): string {
  return `row ${row}, column ${col} is ${String(v)}; top-K needs finite logits`;
}

export function kRangeMessage(k: number, total: number): string {
  return `k = ${k} is out of range [1, ${total}]`;
}

export class TopKSelectorTs {
  private keys: Float64Array;
  private index: Float64Array;
  private size = 0;
  // K-th best key so far; later entries (higher index) must beat it strictly.
  private theta = -Infinity;
  private readonly cap: number;
  rowsSeen = 0;

  /**
   * `rowsSeen` and `theta` let a selector take one chunk of a stream in a
   * worker: its rows are numbered from rowsSeen, and entries that cannot beat
   * the stream's K-th best so far (theta) are skipped.
   */
  constructor(
    private readonly c: number,
    private readonly k: number,
    private readonly criterion: Criterion,
    private readonly file?: string,
    rowsSeen = 0,
    theta = -Infinity,
  ) {
    this.cap = Math.max(2 * k, 1024);
    const initial = Math.min(this.cap, 1 << 16);
    this.keys = new Float64Array(initial);
    this.index = new Float64Array(initial);
    this.rowsSeen = rowsSeen;
    this.theta = theta;
  }

  /** The K-th best key so far (entries must beat it strictly), for a chunk worker. */
  get threshold(): number {
    return this.theta;
  }

  /** Entries that may still be in the top K, in index order (a chunk's result). */
  candidates(): { keys: Float64Array; index: Float64Array; rows: number } {
    if (this.size > this.k) this.compact();
    return { keys: this.keys.slice(0, this.size), index: this.index.slice(0, this.size), rows: this.rowsSeen };
  }

  /** Takes a later chunk's candidates (from candidates()), covering rows up to `rowsSeen`. */
  pushCandidates(keys: Float64Array, index: Float64Array, rowsSeen: number): void {
    for (let i = 0; i < keys.length; i++) if (keys[i] > this.theta) this.add(keys[i], index[i]);
    this.rowsSeen = rowsSeen;
  }

  push(data: Float32Array | Float64Array, nRows: number): void {
    const { c } = this;
    for (let r = 0; r < nRows; r++) {
      const off = r * c;
      const row = this.rowsSeen + r;
      for (let j = 0; j < c; j++) {
        const x = data[off + j];
        if (x - x !== 0) throw new ValidationError(nonFiniteMessage(row, j, x), this.file);
      }
      const lse = this.criterion === 'prob' ? rowLse(data, off, c) : 0;
      const base = row * c;
      for (let j = 0; j < c; j++) {
        // + 0 turns -0 into +0, as in the native code.
        const key = data[off + j] - lse + 0;
        if (key > this.theta) this.add(key, base + j);
      }
    }
    this.rowsSeen += nRows;
  }

  finish(): Pairs {
    const { k, c } = this;
    const total = this.rowsSeen * c;
    if (k > total) throw new ValidationError(kRangeMessage(k, total), this.file);
    if (this.size > k) this.compact();
    const order = Array.from({ length: k }, (_, i) => i);
    const { keys, index } = this;
    order.sort((a, b) => (keys[a] !== keys[b] ? keys[b] - keys[a] : index[a] - index[b]));
    const out: Pairs = { image: new Int32Array(k), label: new Int32Array(k), value: new Float32Array(k) };
    const prob = this.criterion === 'prob';
    for (let i = 0; i < k; i++) {
      const at = order[i];
      const flat = index[at];
      out.image[i] = Math.floor(flat / c);
      out.label[i] = flat % c;
      out.value[i] = prob ? expNonPositive(keys[at]) : keys[at];
    }
    return out;
  }

  private add(key: number, flat: number): void {
    if (this.size === this.keys.length) {
      if (this.size >= this.cap) {
        this.compact();
        if (!(key > this.theta)) return;
      } else {
        this.grow();
      }
    }
    this.keys[this.size] = key;
    this.index[this.size] = flat;
    this.size++;
  }

  private grow(): void {
    const n = Math.min(this.cap, this.keys.length * 2);
    const keys = new Float64Array(n);
    const index = new Float64Array(n);
    keys.set(this.keys);
    index.set(this.index);
    this.keys = keys;
    this.index = index;
  }

  /** Keeps the K best in index order and sets theta to the K-th key. */
  private compact(): void {
    const { k, keys, index } = this;
    const sorted = keys.slice(0, this.size).sort();
    const theta = sorted[this.size - k];
    let above = 0;
    for (let i = this.size - k + 1; i < this.size; i++) if (sorted[i] > theta) above++;
    let ties = k - above;
    let w = 0;
    for (let i = 0; i < this.size; i++) {
      const key = keys[i];
      if (key > theta || (key === theta && ties-- > 0)) {
        keys[w] = key;
        index[w] = index[i];
        w++;
      }
    }
    this.size = k;
    this.theta = theta;
  }
}
