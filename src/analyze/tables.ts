/** The analysis as CSV tables (file name → header + rows). */
import type { Cell } from '../evaluate/csv';
import type { AnalysisResult } from './analyze';

export interface Table {
  file: string;
  description: string;
  header: string[];
  rows: Cell[][];
}

export function analysisTables(r: AnalysisResult): Table[] {
  const cls = (c: number): Cell[] => [c, r.classes[c].wnid, r.classes[c].name];
  const name = (c: number) => r.classes[c].name;
  const below = new Map(r.oracle.below.map((b) => [b.class, b]));
  const tables: Table[] = [
    {
      file: 'models.csv',
      description: 'ReaL and original metrics per model',
      header: ['model', 'file', 'kind', 'real_top1', 'real_top5', 'original_top1', 'original_top5', 'real_strict', 'n_scored', 'n_skipped', 'classes_beating_oracle'],
      rows: r.models.map((m) => [m.name, m.file, m.kind, m.real_top1, m.real_top5, m.original_top1, m.original_top5, m.real_strict, m.n_scored, m.n_skipped, m.classes_beating_oracle]),
    },
    {
      file: 'per_class_accuracy.csv',
      description: 'per model and class: original accuracy (all images, and images with a ReaL label), the oracle, ReaL accuracy',
      header: ['model', 'class', 'wnid', 'name', 'n_original', 'original_top1', 'n_labelled', 'original_top1_labelled', 'oracle', 'beats_oracle', 'n_real', 'real_top1'],
      rows: r.per_class.models.flatMap((m) =>
        r.classes.map((_, c) => {
          const ml = m.original_labelled[c];
          const o = r.per_class.oracle[c];
          return [m.name, ...cls(c), r.per_class.n_original[c], m.original[c], r.per_class.oracle_n[c], ml, o,
            ml === null || o === null ? null : ml > o ? 1 : 0, r.per_class.n_real[c], m.real[c]];
        }),
      ),
    },
    {
      file: 'oracle.csv',
      description: 'the unbiased oracle per class, with co-occurring classes where it is below the threshold',
      header: ['class', 'wnid', 'name', 'n_labelled', 'oracle_accuracy', 'n_confirmed', 'cooccurring'],
      rows: r.classes.map((_, c) => {
        const b = below.get(c);
        const co = b?.cooccurring.map((x) => `${name(x.class)} (${(100 * x.share).toFixed(1)}%)`).join('; ');
        return [...cls(c), r.per_class.oracle_n[c], r.per_class.oracle[c], b?.base, co];
      }),
    },
    {
      file: 'cooccurrence.csv',
      description: 'for classes below the oracle threshold: classes in the same ReaL sets, share of the confirmed images',
      header: ['class', 'name', 'oracle_accuracy', 'n_confirmed', 'rank', 'cooccurring_class', 'cooccurring_name', 'images', 'share'],
      rows: r.oracle.below.flatMap((b) =>
        b.cooccurring.map((x, i) => [b.class, name(b.class), b.accuracy, b.base, i + 1, x.class, name(x.class), x.count, x.share]),
      ),
    },
    {
      file: 'beats_oracle.csv',
      description: 'classes on which a model beats the unbiased oracle (original labels, images with a ReaL label)',
      header: ['model', 'class', 'wnid', 'name', 'n_labelled', 'model_accuracy', 'oracle_accuracy', 'margin'],
      rows: r.beats_oracle.flatMap((b) => b.classes.map((x) => [b.model, ...cls(x.class), x.n, x.model_accuracy, x.oracle_accuracy, x.model_accuracy - x.oracle_accuracy])),
    },
    {
      file: 'label_set_sizes.csv',
      description: 'images by number of ReaL labels',
      header: ['labels', 'images', 'share'],
      rows: r.multiplicity.size_counts.map((n, s) => [s, n, n / r.n_images]),
    },
    {
      file: 'label_pairs.csv',
      description: 'the most frequent pairs of classes in one ReaL set',
      header: ['class_a', 'name_a', 'class_b', 'name_b', 'images'],
      rows: r.multiplicity.top_pairs.map((p) => [p.a, name(p.a), p.b, name(p.b), p.count]),
    },
    {
      file: 'slopes.csv',
      description: 'least-squares fits of ReaL against original top-1 across models',
      header: ['group', 'slope', 'intercept', 'models'],
      rows: (['weaker', 'stronger', 'all'] as const).flatMap((k) => {
        const f = r.slopes[k];
        return f ? [[k, f.slope, f.intercept, f.models.join('; ')]] : [];
      }),
    },
  ];
  return tables;
}
