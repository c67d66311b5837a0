/**
 * Vega-Lite specs for the report's figures, built from an AnalysisResult.
 * Each chart is a plain object (JSON-serialisable) so it can be rendered in a
 * worker and saved next to its SVG for anyone who wants to restyle it.
 */
import type { AnalysisResult } from './analyze';
import { maxOf, minOf } from '../util/extent';

export interface Chart {
  /** File stem, e.g. "fig4_real_vs_original". */
  id: string;
  title: string;
  /** One sentence under the figure: what to look at. */
  caption: string;
  /** Full report width (else half). */
  wide?: boolean;
  spec: object;
}

const INK = '#1f2937';
const MUTED = '#6b7280';
const ORACLE = '#111827';
// 20 distinguishable colours (10 strong, then 10 light), so 20 models never share one.
const PALETTE = [
  '#2563eb', '#dc2626', '#059669', '#d97706', '#7c3aed', '#0891b2', '#db2777', '#65a30d', '#4b5563', '#ea580c',
  '#93c5fd', '#fca5a5', '#6ee7b7', '#fcd34d', '#c4b5fd', '#67e8f9', '#f9a8d4', '#bef264', '#9ca3af', '#fdba74',
];

const CONFIG = {
  background: 'white',
  padding: 12,
  font: 'Helvetica, Arial, sans-serif',
  view: { stroke: null },
  axis: { labelColor: MUTED, titleColor: INK, titleFontWeight: 600, titleFontSize: 12, labelFontSize: 11, gridColor: '#eef0f3', domainColor: '#c7ccd4', tickColor: '#c7ccd4' },
  legend: { labelColor: INK, titleColor: INK, labelFontSize: 11, titleFontSize: 11, symbolSize: 80, labelLimit: 220 },
  title: { color: INK, fontSize: 14, fontWeight: 600, anchor: 'start', offset: 10 },
  range: { category: PALETTE },
};

function base(width: number, height: number) {
  return { $schema: 'https://vega.github.io/schema/vega-lite/v6.json', width, height, config: CONFIG };
}

const pct = (title: string, extra: object = {}) => ({ type: 'quantitative', title, axis: { format: '.0%', tickMinStep: 0.01 }, ...extra });

/** Figure 4: ReaL vs original accuracy across models, with the two half fits. */
export function realVsOriginal(r: AnalysisResult): Chart | null {
  const pts = r.models.filter((m) => m.original_top1 !== null && m.real_top1 !== null);
  if (pts.length === 0) return null;
  const data = pts.map((m) => ({ model: m.name, original: m.original_top1, real: m.real_top1 }));
  const xs = data.map((d) => d.original!);
  const ys = data.map((d) => d.real!);
  const lo = Math.max(0, minOf(ys, minOf(xs)) - 0.02);
  const hi = Math.min(1, maxOf(ys, maxOf(xs)) + 0.02);
  const lines: object[] = [];
  for (const [half, color] of [['weaker', '#d97706'], ['stronger', '#2563eb']] as const) {
    const f = r.slopes[half];
    if (!f) continue;
    const x = data.filter((d) => f.models.includes(d.model)).map((d) => d.original!);
    const [a, b] = [minOf(x), maxOf(x)];
    lines.push(...[a, b].map((v) => ({ half: `${half}: ${f.slope.toFixed(2)}`, x: v, y: f.slope * v + f.intercept, color })));
  }
  const scale = { domain: [lo, hi], zero: false };
  return {
    id: 'fig4_real_vs_original',
    title: 'ReaL against original accuracy',
    caption: 'Each point is a model. Dashed: ReaL = original. A fitted slope below 1 means gains on the original labels overstate real progress.',
    spec: {
      ...base(380, 300),
      layer: [
        { data: { values: [{ x: lo, y: lo }, { x: hi, y: hi }] }, mark: { type: 'line', strokeDash: [4, 4], color: '#9ca3af' },
          encoding: { x: { field: 'x', ...pct('original top-1'), scale }, y: { field: 'y', ...pct('ReaL top-1'), scale } } },
        ...(lines.length ? [{ data: { values: lines }, mark: { type: 'line', strokeWidth: 2 },
          encoding: { x: { field: 'x', type: 'quantitative', scale }, y: { field: 'y', type: 'quantitative', scale },
            color: { field: 'half', type: 'nominal', title: 'slope', scale: { range: ['#2563eb', '#d97706'] }, legend: { orient: 'bottom-right', fillColor: 'rgba(255,255,255,0.9)', padding: 6 } } } }] : []),
        { data: { values: data }, mark: { type: 'point', filled: true, size: 70, color: INK, opacity: 0.85 },
          encoding: { x: { field: 'original', type: 'quantitative', scale }, y: { field: 'real', type: 'quantitative', scale }, tooltip: [{ field: 'model' }] } },
        ...(data.length <= 12 ? [{ data: { values: data }, mark: { type: 'text', align: 'left', dx: 7, dy: -6, fontSize: 10, color: MUTED },
          encoding: { x: { field: 'original', type: 'quantitative', scale }, y: { field: 'real', type: 'quantitative', scale }, text: { field: 'model' } } }] : []),
      ],
      resolve: { scale: { color: 'independent' } },
    },
  };
}

/** Figure 6: each model's per-class original accuracy, sorted, against the oracle's. */
export function sortedPerClass(r: AnalysisResult): Chart {
  const series: Array<{ series: string; rank: number; accuracy: number }> = [];
  const add = (name: string, acc: (number | null)[]) => {
    const sorted = acc.filter((x): x is number => x !== null).sort((a, b) => b - a);
    sorted.forEach((a, i) => series.push({ series: name, rank: i + 1, accuracy: a }));
  };
  add('unbiased oracle', r.per_class.oracle);
  for (const m of r.per_class.models) add(m.name, m.original_labelled);
  const names = ['unbiased oracle', ...r.per_class.models.map((m) => m.name)];
  return {
    id: 'fig6_sorted_per_class_accuracy',
    title: 'Per-class accuracy, sorted',
    caption: 'Each curve is one model\'s per-class accuracy, sorted. Where a model\'s curve lies above the oracle\'s (dashed), it matches the original label more often than an unbiased labeller could: it has learned the original labelling\'s bias.',
    wide: true,
    spec: {
      ...base(780, 320),
      data: { values: series },
      mark: { type: 'line', strokeWidth: 1.6, interpolate: 'step-after' },
      encoding: {
        x: { field: 'rank', type: 'quantitative', title: 'classes, sorted by accuracy', scale: { nice: false } },
        y: { field: 'accuracy', ...pct('accuracy (original labels)'), scale: { domain: [0, 1] } },
        color: { field: 'series', type: 'nominal', title: null, sort: names, scale: { domain: names, range: [ORACLE, ...PALETTE] }, legend: { labelLimit: 260, orient: names.length > 8 ? 'right' : 'bottom-left', fillColor: 'rgba(255,255,255,0.85)', padding: 6 } },
        strokeDash: { condition: { test: "datum.series === 'unbiased oracle'", value: [5, 3] }, value: [1, 0] },
        strokeWidth: { condition: { test: "datum.series === 'unbiased oracle'", value: 2.4 }, value: 1.6 },
      },
    },
  };
}

/** Per class, the best model's accuracy against the oracle's: points above the diagonal beat it. */
export function modelVsOracle(r: AnalysisResult): Chart | null {
  const scored = r.models.map((m, i) => ({ m, i })).filter(({ m }) => m.real_top1 !== null);
  if (scored.length === 0) return null;
  const { m, i } = scored.reduce((a, b) => (b.m.real_top1! > a.m.real_top1! ? b : a));
  const pc = r.per_class.models[i];
  const values = r.classes.flatMap((c) => {
    const o = r.per_class.oracle[c.index];
    const a = pc.original_labelled[c.index];
    return o === null || a === null ? [] : [{ name: c.name, oracle: o, model: a, beats: a > o ? 'beats the oracle' : 'does not' }];
  });
  const scale = { domain: [0, 1] };
  return {
    id: 'fig_model_vs_oracle',
    title: 'Best model against the oracle',
    caption: `One point per class. Above the diagonal, ${m.name} (the best model by ReaL top-1) agrees with the original labels more often than the unbiased oracle does.`,
    spec: {
      ...base(330, 300),
      layer: [
        { data: { values: [{ x: 0, y: 0 }, { x: 1, y: 1 }] }, mark: { type: 'line', strokeDash: [4, 4], color: '#9ca3af' },
          encoding: { x: { field: 'x', type: 'quantitative', scale }, y: { field: 'y', type: 'quantitative', scale } } },
        { data: { values }, mark: { type: 'circle', size: 18, opacity: 0.6 },
          encoding: {
            x: { field: 'oracle', ...pct('oracle accuracy'), scale },
            y: { field: 'model', ...pct('model accuracy (original labels)'), scale },
            color: { field: 'beats', type: 'nominal', title: null, scale: { domain: ['beats the oracle', 'does not'], range: ['#dc2626', '#94a3b8'] }, legend: { orient: 'bottom-right' } },
            tooltip: [{ field: 'name' }, { field: 'oracle', format: '.1%' }, { field: 'model', format: '.1%' }],
          } },
      ],
    },
  };
}

/** Histogram of the oracle's per-class accuracy. */
export function oracleHistogram(r: AnalysisResult): Chart {
  const values = r.per_class.oracle.filter((x): x is number => x !== null).map((a) => ({ a, low: a < r.oracle.threshold ? 'below threshold' : 'at or above' }));
  return {
    id: 'fig_oracle_histogram',
    title: 'The unbiased oracle, per class',
    caption: `Expected per-class accuracy of the unbiased oracle. ${r.oracle.n_below} of ${values.length} classes are below ${(100 * r.oracle.threshold).toFixed(0)}%.`,
    spec: {
      ...base(380, 240),
      data: { values },
      mark: { type: 'bar', cornerRadiusTopLeft: 2, cornerRadiusTopRight: 2 },
      encoding: {
        x: { field: 'a', bin: { step: 0.05, extent: [0, 1] }, type: 'quantitative', title: 'oracle accuracy (original labels)', axis: { format: '.0%' } },
        y: { aggregate: 'count', type: 'quantitative', title: 'classes' },
        color: { field: 'low', type: 'nominal', title: null, scale: { domain: ['below threshold', 'at or above'], range: ['#d97706', '#93c5fd'] }, legend: { orient: 'top-left' } },
      },
    },
  };
}

/** Classes per model where the model beats the oracle. */
export function beatsOracleBars(r: AnalysisResult): Chart | null {
  if (r.beats_oracle.length === 0) return null;
  const values = r.beats_oracle.map((b) => ({ model: b.model, classes: b.n_classes }));
  return {
    id: 'fig_classes_beating_oracle',
    title: 'Classes beating the oracle',
    caption: 'Counted against the original labels, on images that have a ReaL label.',
    spec: {
      ...base(230, Math.max(40, 24 * values.length)),
      data: { values },
      layer: [
        { mark: { type: 'bar', color: '#2563eb', cornerRadiusEnd: 2 } },
        { mark: { type: 'text', align: 'left', dx: 4, color: INK, fontSize: 11 }, encoding: { text: { field: 'classes' } } },
      ],
      encoding: {
        y: { field: 'model', type: 'nominal', title: null, sort: null, axis: { labelLimit: 240 } },
        x: { field: 'classes', type: 'quantitative', title: `classes (of ${r.num_classes})` },
      },
    },
  };
}

/** Label-set sizes. */
export function setSizes(r: AnalysisResult): Chart {
  const values = r.multiplicity.size_counts.map((count, size) => ({ size: String(size), count }));
  return {
    id: 'fig_label_set_sizes',
    title: 'Labels per image',
    caption: `${(100 * r.multiplicity.share_multi).toFixed(1)}% of images carry two or more ReaL labels; size 0 means no valid label (skipped when scoring).`,
    spec: {
      ...base(390, 240),
      data: { values },
      layer: [
        { mark: { type: 'bar', color: '#0891b2', cornerRadiusTopLeft: 2, cornerRadiusTopRight: 2 } },
        { mark: { type: 'text', dy: -6, color: INK, fontSize: 10 }, encoding: { text: { field: 'count', format: ',' } } },
      ],
      encoding: {
        x: { field: 'size', type: 'ordinal', title: 'labels in the ReaL set', axis: { labelAngle: 0 } },
        y: { field: 'count', type: 'quantitative', title: 'images (log scale)', scale: { type: 'symlog' }, axis: { values: [0, 10, 100, 1000, 10000, 100000].filter((v) => v <= 10 * maxOf(values.map((d) => d.count))), format: '~s' } },
      },
    },
  };
}

/** The most frequent co-occurring label pairs. */
export function topPairs(r: AnalysisResult): Chart {
  const name = (c: number) => r.classes[c]?.name ?? `class ${c}`;
  const values = r.multiplicity.top_pairs.map((p) => ({ pair: `${name(p.a)} + ${name(p.b)}`, count: p.count }));
  return {
    id: 'fig_top_label_pairs',
    title: 'Most frequent label pairs',
    caption: 'Images whose ReaL set holds both classes.',
    spec: {
      ...base(230, Math.max(60, 17 * values.length)),
      data: { values },
      layer: [
        { mark: { type: 'bar', color: '#7c3aed', cornerRadiusEnd: 2 } },
        { mark: { type: 'text', align: 'left', dx: 4, color: INK, fontSize: 10 }, encoding: { text: { field: 'count' } } },
      ],
      encoding: {
        y: { field: 'pair', type: 'nominal', title: null, sort: null, axis: { labelLimit: 220 } },
        x: { field: 'count', type: 'quantitative', title: 'images' },
      },
    },
  };
}

export function allCharts(r: AnalysisResult): Chart[] {
  return [realVsOriginal(r), beatsOracleBars(r), sortedPerClass(r), oracleHistogram(r), modelVsOracle(r), setSizes(r), topPairs(r)].filter(
    (c): c is Chart => c !== null,
  );
}
