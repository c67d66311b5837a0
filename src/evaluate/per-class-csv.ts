/** The `--per-class` table of `evaluate`: one row per (model, class). */
import type { ModelResult } from './evaluate';
import type { Cell } from './csv';

export const PER_CLASS_HEADER = [
  'model', 'class', 'wnid', 'name', 'n_original', 'original_top1', 'original_top5', 'n_real', 'real_top1', 'real_top5',
];

export function perClassRows(
  models: ModelResult[],
  numClasses: number,
  synsets?: Array<{ wnid: string; name: string }>,
  withOriginal = true,
): Cell[][] {
  const rows: Cell[][] = [];
  for (const m of models) {
    const pc = m.perClass;
    const frac = (x: ArrayLike<number> | null, d: ArrayLike<number>, c: number) => (x && d[c] > 0 ? x[c] / d[c] : null);
    for (let c = 0; c < numClasses; c++) {
      rows.push([
        m.name, c, synsets?.[c]?.wnid, synsets?.[c]?.name,
        withOriginal ? pc.originalN[c] : null,
        withOriginal ? frac(pc.originalTop1, pc.originalN, c) : null,
        withOriginal ? frac(pc.originalTop5, pc.originalN, c) : null,
        pc.realN[c], frac(pc.realTop1, pc.realN, c), frac(pc.realTop5, pc.realN, c),
      ]);
    }
  }
  return rows;
}
