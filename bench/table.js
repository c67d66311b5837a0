#!/usr/bin/env node
// Prints README's performance table from bench/results/*.json, so the README
// shows exactly what the benches measured (medians; ratios from the same run).
'use strict';
const fs = require('node:fs');
const path = require('node:path');

const dir = path.join(__dirname, 'results');
const load = (name) => {
  try {
    return JSON.parse(fs.readFileSync(path.join(dir, `${name}.json`), 'utf8'));
  } catch {
    return null;
  }
};
const ms = (v) => (v == null ? '–' : v >= 1000 ? `${(v / 1000).toFixed(2)} s` : `${+v.toFixed(v < 10 ? 2 : 1)} ms`);
const x = (a, b) => (a == null || b == null ? '–' : `${(a / b).toFixed(1)}×`);
const byName = (rows, needle) => (rows || []).find((r) => r.name.includes(needle)) || {};

const rows = [];
const add = (stage, workload, native, twin, numpy, notes) => rows.push([stage, workload, native, twin, numpy, notes]);

const topk = load('topk');
if (topk) {
  const read = byName(topk.results, 'read pass').median_ms;
  for (const crit of ['logit', 'prob']) {
    const n = byName(topk.results, `native topk ${crit}`).median_ms;
    const t = byName(topk.results, `ts twin topk ${crit}`).median_ms;
    const np = crit === 'logit' ? topk.numpy?.argpartition_ms : topk.numpy?.logsoftmax_argpartition_ms;
    const same = topk.numpy?.prob_same_pairs_and_order_as_float64_logsoftmax && topk.numpy?.prob_values_equal_float32_of_exp;
    const rel =
      crit === 'logit'
        ? `${x(n, read)} one read pass (${ms(read)})`
        : `${x(n, byName(topk.results, 'native topk logit').median_ms)} logit${same ? '; pairs, order and values equal numpy float64 log-softmax' : ''}`;
    add(`topk \`${crit}\``, '50,000 × 1,000 f32, K = 150,000', ms(n), `${ms(t)} (${x(t, n)})`, np ? `${ms(np)} (${x(np, n)})` : '–', rel);
  }
}
const pool = load('pool');
if (pool) {
  const r = pool.results;
  add('pool', `${(pool.input.source_pairs / 1e6).toFixed(1)}M pairs from 19 models`, ms(r.native?.median_ms), `${ms(r.ts?.median_ms)} (${x(r.ts?.median_ms, r.native?.median_ms)})`, '–', 'single-threaded radix sort + scan');
}
const propose = load('propose');
if (propose) {
  const [one, two] = propose.runs;
  add('propose (end to end)', '19 models × 50,000 × 1,000 f32 (3.8 GB)', `${ms(two.wall_ms_process)}, ${Math.round(two.peak_rss_mb)} MB peak`, '–', '–',
    `2 workers; 1 worker ${ms(one.wall_ms_process)}: ${propose.speedup_1_to_2_workers.toFixed(2)}× speed-up`);
}
const select = load('subsets');
if (select) {
  const r = select.results;
  add('select-models', `2^19 subsets, gold set ${select.input.gold_images} images / ${select.input.gold_questions} pairs`, ms(r.native_threads_all?.median_ms), `${ms(r.ts?.median_ms)} (${x(r.ts?.median_ms, r.native_threads_all?.median_ms)})`, '–', 'exhaustive bitset search');
}
const tasks = load('tasks');
if (tasks) {
  add('tasks (WordNet split)', `${tasks.data.images.toLocaleString('en')} images of the release`, '–', ms(byName(tasks.results, 'splitLabels').median_ms), '–',
    `${tasks.tasks.ours.toLocaleString('en')} tasks (paper 37,988; bound ${tasks.tasks.lower_bound.toLocaleString('en')})`);
}
const agg = load('aggregate');
if (agg) {
  const d = agg.ds_em_ms_per_iteration;
  add('aggregate `ds` EM', '924,810 answers, per iteration', ms(d.native.ms_per_iter), `${ms(d.ts_twin.ms_per_iter)} (${x(d.ts_twin.ms_per_iter, d.native.ms_per_iter)})`,
    d.numpy ? `${ms(d.numpy.ms_per_iter)} (${x(d.numpy.ms_per_iter, d.native.ms_per_iter)})` : '–', '');
  const gn = byName(agg.results, '(native)').median_ms;
  const gt = byName(agg.results, '(ts twin)').median_ms;
  add('aggregate `gold` scoring', 'raters.npz, once loaded', ms(gn), `${ms(gt)} (${x(gt, gn)})`, '–', '');
  const rr = agg.reproduce_real;
  if (rr) add('reproduce-real (end to end)', 'the whole ReaL release', `${ms(rr.wall_ms)}, ${rr.peak_rss_mb} MB peak`, '–', '–', `scores within ${rr.agreement.scores.maxAbsDiff.toExponential(1)}, ${rr.agreement.labels.identical.toLocaleString('en')} lists identical`);
}
const ev = load('evaluate');
if (ev) {
  const k = ev.kernel.results;
  const n = byName(k, 'native top-9, all').median_ms;
  const t = byName(k, 'twin top-9').median_ms;
  const np = ev.kernel.numpy?.top9_ms;
  add('evaluate top-k kernel', '2,000 × 1,000, top-9 per row', ms(n), `${ms(t)} (${x(t, n)})`, np ? `${ms(np)} (${x(np, n)})` : '–', '');
  const e = ev.end_to_end;
  add('evaluate (end to end)', '20 models × 50,000 × 1,000 f32', `${ms(e.evaluate_s * 1000)} (cold cache ${ms(e.evaluate_cold_s * 1000)})`, '–',
    e.numpy_load_and_argpartition_top5_s ? `${ms(e.numpy_load_and_argpartition_top5_s * 1000)} (load + top-5 only)` : '–', `reading alone ${ms(e.read_only_s * 1000)}`);
  add('analyze + HTML report', '20 models', ms(e.analyze_s * 1000), '–', '–', '');
}
const lg = load('logits');
if (lg) {
  const p = lg.preprocessing_images_per_s;
  const e = lg.end_to_end;
  add('logits preprocessing', `${lg.images} JPEGs → 224² crops`, `${p.workers_1} img/s (1 worker), ${p.workers_2} img/s (2)`, '–', '–', `${p.scaling}× from 1 to 2 workers`);
  add('logits (end to end)', `${lg.model_mflops_per_image} MFLOP ONNX model`, `${e.workers_1.images_per_s_wall} img/s (1 worker), ${e.workers_2.images_per_s_wall} img/s (2)`, '–', '–', 'decode + resize dominate');
}

const header = ['stage', 'workload', 'native', 'TS twin (native ×)', 'numpy (native ×)', 'notes'];
const lines = [header, header.map(() => '---'), ...rows].map((r) => `| ${r.join(' | ')} |`);
process.stdout.write(`${lines.join('\n')}\n`);

// What a user waits for (bench/commands.js): whole command beside its kernel and I/O floor, one run.
const cmds = load('commands');
if (cmds) {
  const head = ['command', 'workload', 'whole command', 'kernel', 'I/O floor (× floor)', 'peak RSS', 'numpy / pandas process'];
  const body = cmds.rows.map((r) => [
    `\`${r.name}\``,
    r.workload,
    ms(r.command_ms),
    r.kernel_ms != null ? ms(r.kernel_ms) : '–',
    `${ms(r.io_floor_ms)} (${x(r.command_ms, r.io_floor_ms)})`,
    r.peak_rss_mb ? `${r.peak_rss_mb} MB` : '–',
    r.numpy_process_ms ? ms(r.numpy_process_ms) : r.pandas_read_csv_process_ms ? `${ms(r.pandas_read_csv_process_ms)} (read_csv only)` : '–',
  ]);
  const note = `\nWhole commands (bench/commands.js, ${cmds.date.slice(0, 10)}, load average ${cmds.load_average[0]} on ${cmds.cpus}): process wall time minus \`realabel --version\` (${ms(cmds.startup_ms)}), medians of ${cmds.reps}.\n\n`;
  process.stdout.write(`${note}${[head, head.map(() => '---'), ...body].map((r) => `| ${r.join(' | ')} |`).join('\n')}\n`);
}
