/**
 * A straightforward reference for `propose`: dense [N, C] vote counting with
 * full sorts, no streaming, no pooling kernel.
 */
export interface ReferenceProposals {
  image: number[];
  label: number[];
  votes: number[];
  /** Per pair, per model: sources of the model that proposed it (0, 1, 2). */
  perModel: number[][];
  top1: Int32Array;
}

/** Flat indices of the k largest scores; ties to the lower flat index. */
function topFlat(scores: Float64Array, k: number): number[] {
  const idx = Array.from(scores.keys());
  idx.sort((a, b) => scores[b] - scores[a] || a - b);
  return idx.slice(0, k);
}

export function referencePropose(
  logits: Array<Float32Array | Float64Array>, n: number, c: number, original: Int32Array, k: number, minVotes: number,
): ReferenceProposals {
  const M = logits.length;
  const counts = Array.from({ length: n * c }, () => new Array<number>(M).fill(0));
  const forced = new Uint8Array(n * c);
  const top1 = new Int32Array(M * n);
  logits.forEach((l, m) => {
    const logit = Float64Array.from(l);
    const prob = new Float64Array(n * c);
    for (let i = 0; i < n; i++) {
      let max = -Infinity;
      let arg = 0;
      for (let j = 0; j < c; j++) {
        if (l[i * c + j] > max) {
          max = l[i * c + j];
          arg = j;
        }
      }
      top1[m * n + i] = arg;
      forced[i * c + arg] = 1;
      let s = 0;
      for (let j = 0; j < c; j++) s += Math.exp(l[i * c + j] - max);
      for (let j = 0; j < c; j++) prob[i * c + j] = Math.exp(l[i * c + j] - max) / s;
    }
    for (const f of topFlat(logit, k)) counts[f][m]++;
    for (const f of topFlat(prob, k)) counts[f][m]++;
  });
  original.forEach((lb, i) => (forced[i * c + lb] = 1));
  const out: ReferenceProposals = { image: [], label: [], votes: [], perModel: [], top1 };
  for (let f = 0; f < n * c; f++) {
    const v = counts[f].reduce((a, b) => a + b, 0);
    if (v < minVotes && !forced[f]) continue;
    out.image.push(Math.floor(f / c));
    out.label.push(f % c);
    out.votes.push(v);
    out.perModel.push(counts[f]);
  }
  return out;
}
