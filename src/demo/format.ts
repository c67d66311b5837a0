/** The demo's printed summary. */
import * as path from 'node:path';
import type { DemoResult } from './demo';
import { maxOf } from '../util/extent';

const int = (x: number) => x.toLocaleString('en-US');
const pct = (x: number | null, digits = 1) => (x === null ? '-' : `${(100 * x).toFixed(digits)}%`);
const sec = (ms: number) => `${(ms / 1000).toFixed(1)} s`;

function rel(file: string): string {
  const r = path.relative(process.cwd(), file);
  return r && !r.startsWith('..') && !path.isAbsolute(r) ? r : file;
}

function modelsTable(r: DemoResult): string[] {
  const rows = [...r.models_table].sort((a, b) => a.rank_real - b.rank_real);
  const width = maxOf(rows.map((m) => m.model.length), 5);
  const lines = [`   #  ${'model'.padEnd(width)}    ReaL  original        true`];
  for (const m of rows) {
    lines.push(
      `  ${String(m.rank_real).padStart(2)}  ${m.model.padEnd(width)}  ${pct(m.real_top1).padStart(6)}` +
        `  ${pct(m.original_top1).padStart(6)} (#${m.rank_original})`.padEnd(15) +
        `  ${pct(m.true_top1).padStart(6)} (#${m.rank_true})`,
    );
  }
  return lines;
}

function recoveryTable(r: DemoResult): string[] {
  const rows: Array<[string, { exact_sets: number; precision: number; recall: number }]> = [
    ['ReaL, gold-calibrated', r.aggregate.gold.vs_truth],
    ['ReaL, Dawid-Skene', r.aggregate.ds.vs_truth],
    ['original labels', r.original_vs_truth],
  ];
  return [
    `${'  against the simulated truth'.padEnd(30)}${'exact sets'.padStart(12)}${'label precision'.padStart(18)}${'label recall'.padStart(15)}`,
    ...rows.map(([name, v]) => `    ${name.padEnd(26)}${pct(v.exact_sets).padStart(12)}${pct(v.precision).padStart(18)}${pct(v.recall).padStart(15)}`),
  ];
}

export function formatSummary(r: DemoResult): string {
  const g = r.aggregate.gold;
  const ds = r.aggregate.ds;
  const c = g.changes;
  const ro = r.reordering;
  const lines = [
    `realabel demo: ${int(r.images)} simulated images, ${int(r.classes)} WordNet classes, ${r.models} models (seed ${r.seed}) in ${sec(r.timings_ms.total)}`,
    `  original labels wrong on ${pct(r.simulate.original_error_rate)} of images; ${pct(r.simulate.multi_label_images / r.images)} have several true labels`,
    `  propose        ${int(r.propose.P)} pairs (${r.propose.proposals_per_image.mean.toFixed(2)} per image); every model agrees with the original label on ${pct(r.propose.all_top1_equal_original / r.images)} of images`,
    `  select-models  ${r.select.models.length} of ${r.models} models ${r.select.reached_target ? 'reach' : 'miss'} recall ${pct(r.select.recall)} on the gold set (${r.gold.images} images, ${int(r.gold.questions)} questions) at precision ${pct(r.select.precision)}`,
    `  tasks          ${int(r.tasks.tasks)} tasks, ${int(r.tasks.rated_pairs)} questions on ${int(r.tasks.rated_images)} images; ${int(r.tasks.unrated_images)} where the selected models agree with the original label keep it`,
    `  raters         ${r.raters.raters} simulated raters, ${r.raters.per_task} per task: ${int(r.raters.answers)} answers (per rater: median ${int(r.raters.answers_per_rater.median)}, p90 ${int(r.raters.answers_per_rater.p90)})`,
    `  aggregate      gold-calibrated: ${int(g.labels)} labels, precision ${pct(g.gold_precision)} / recall ${pct(g.gold_recall)} on the gold questions; Dawid-Skene: ${int(ds.labels)} labels, ${pct(ds.gold_precision)} / ${pct(ds.gold_recall)}`,
    '',
    'ReaL labels vs the original labels:',
    `  fixed    ${int(c.fixed)} images got a different label (${int(c.fixed_truly_wrong)} of the ${int(c.truly_wrong)} truly mislabelled ones)`,
    `  added    ${int(c.added)} labels on ${int(c.images_with_added)} images that keep their original label`,
    `  emptied  ${int(c.emptied)} images where no label was confirmed`,
    ...recoveryTable(r),
    '',
    `Models by ReaL top-1 accuracy; (#k): rank by that column. Original accuracy orders ${ro.swapped_pairs} of the ${ro.pairs} pairs`,
    `of models the other way; pairs ordered as by the true accuracy: ReaL ${ro.agree_with_truth_real}, original ${ro.agree_with_truth_original}.`,
    ...modelsTable(r),
    '',
    `Files in ${rel(r.out)}; report: ${rel(r.report)}`,
  ];
  return `${lines.join('\n')}\n`;
}
