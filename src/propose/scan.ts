/**
 * One model's contribution to the proposals, computed in a single pass over
 * its logits in row chunks: the global top-K pairs by logit and by
 * probability, and the top-1 label of every image (ties to the lower label).
 */
import { ValidationError } from '../errors';
import { TopKStreamSync, type Pairs } from '../topk/topk';
import type { Backend } from '../native/addon';

export interface ModelScan {
  byLogit: Pairs;
  byProb: Pairs;
  top1: Int32Array;
}

export interface ScanOptions {
  threads?: number;
  backend?: Backend;
  /** Named in error messages. */
  file?: string;
}

export class ModelScanner {
  private readonly byLogit: TopKStreamSync;
  private readonly byProb: TopKStreamSync;
  private readonly top1: Int32Array;
  private rows = 0;

  constructor(
    private readonly n: number,
    private readonly c: number,
    k: number,
    private readonly opts: ScanOptions = {},
  ) {
    const base = { threads: opts.threads, backend: opts.backend, file: opts.file };
    this.byLogit = new TopKStreamSync(c, k, { ...base, criterion: 'logit' });
    this.byProb = new TopKStreamSync(c, k, { ...base, criterion: 'prob' });
    this.top1 = new Int32Array(n);
  }

  /** Feeds the next `nRows` rows (row-major, C per row). */
  push(rows: Float32Array | Float64Array, nRows: number): void {
    if (this.rows + nRows > this.n) throw new ValidationError(`more than ${this.n} rows`, this.opts.file);
    this.byLogit.push(rows, nRows);
    this.byProb.push(rows, nRows);
    argmaxRows(rows, nRows, this.c, this.top1, this.rows);
    this.rows += nRows;
  }

  finish(): ModelScan {
    if (this.rows !== this.n) throw new ValidationError(`got ${this.rows} rows, expected ${this.n}`, this.opts.file);
    return { byLogit: this.byLogit.finish(), byProb: this.byProb.finish(), top1: this.top1 };
  }
}

/** Row-wise argmax; the first maximum wins (ties go to the lower label). */
export function argmaxRows(rows: Float32Array | Float64Array, nRows: number, c: number, out: Int32Array, outStart: number): void {
  for (let r = 0; r < nRows; r++) {
    const base = r * c;
    let best = 0;
    let bestValue = rows[base];
    for (let j = 1; j < c; j++) {
      const v = rows[base + j];
      if (v > bestValue) {
        bestValue = v;
        best = j;
      }
    }
    out[outStart + r] = best;
  }
}

/** Scans a whole in-memory matrix. */
export function scanMatrix(data: Float32Array | Float64Array, n: number, c: number, k: number, opts: ScanOptions = {}): ModelScan {
  const s = new ModelScanner(n, c, k, opts);
  s.push(data, n);
  return s.finish();
}
