/**
 * Pure-TypeScript twin of native/evaltopk.cc (evalTopkRows): per-row top-k of
 * a row-major [n, c] score matrix, higher score first, ties to the lower class
 * index. Returns the first row holding a NaN, or -1.
 */
export type ScoreArray = Float32Array | Float64Array;

export function topkRowsTs(scores: ScoreArray, n: number, c: number, k: number, out: Int32Array): number {
  const vals = new Float64Array(k);
  for (let i = 0; i < n; i++) {
    if (!topkRow(scores, i * c, c, k, vals, out, i * k)) return i;
  }
  return -1;
}

function topkRow(row: ScoreArray, base: number, c: number, k: number, vals: Float64Array, out: Int32Array, o: number): boolean {
  let nan = false;
  for (let j = 0; j < c; j++) {
    const v = row[base + j];
    if (v !== v) nan = true;
    if (j < k) insert(v, j, vals, out, o, j);
    else if (v > vals[k - 1]) insert(v, j, vals, out, o, k - 1);
  }
  return !nan;
}

/** Inserts (v, j) at or above slot `p`; j exceeds every index present, so equal values stay ahead. */
function insert(v: number, j: number, vals: Float64Array, out: Int32Array, o: number, p: number): void {
  while (p > 0 && v > vals[p - 1]) {
    vals[p] = vals[p - 1];
    out[o + p] = out[o + p - 1];
    p--;
  }
  vals[p] = v;
  out[o + p] = j;
}
