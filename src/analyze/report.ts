/**
 * The self-contained HTML report: summary cards, the figures inline as SVG,
 * readable tables, and links to every CSV, SVG and PNG written beside it.
 * No scripts, no external resources: it opens anywhere, offline.
 */
import type { AnalysisResult } from './analyze';
import type { Chart } from './charts';
import type { Table } from './tables';

export interface RenderedChart extends Chart {
  svg: string;
  png?: string;
}

export interface ReportInputs {
  labels?: string;
  original?: string;
  synsets?: string;
}

const esc = (s: unknown) =>
  String(s ?? '').replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
const pct = (x: number | null | undefined, digits = 2) => (x === null || x === undefined || Number.isNaN(x) ? '–' : `${(100 * x).toFixed(digits)}%`);
const int = (x: number) => x.toLocaleString('en-US');

/** A percentage with a small bar behind it. */
function bar(x: number | null, color = '#2563eb'): string {
  if (x === null || Number.isNaN(x)) return '<td class="num">–</td>';
  const w = Math.max(0, Math.min(100, 100 * x)).toFixed(1);
  return `<td class="num bar" style="--w:${w}%;--c:${color}"><span>${pct(x, 1)}</span></td>`;
}

export function renderReport(r: AnalysisResult, charts: RenderedChart[], tables: Table[], inputs: ReportInputs = {}): string {
  const chart = (id: string) => charts.find((c) => c.id === id);
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>ReaL analysis</title>
<style>${CSS}</style>
</head>
<body>
<header>
  <h1>ReaL label analysis</h1>
  <p class="sub">Reassessed ImageNet labels (Beyer et al., 2020, <em>Are we done with ImageNet?</em>): model accuracy, the unbiased oracle, and label multiplicity.</p>
  ${inputsLine(inputs)}
</header>
<main>
${cards(r)}
${modelsSection(r, chart('fig4_real_vs_original'), chart('fig_classes_beating_oracle'))}
${oracleSection(r, chart('fig6_sorted_per_class_accuracy'), chart('fig_oracle_histogram'), chart('fig_model_vs_oracle'))}
${beatsSection(r)}
${multiplicitySection(r, chart('fig_label_set_sizes'), chart('fig_top_label_pairs'))}
${filesSection(charts, tables)}
</main>
<footer>Made by realabel. Percentages of images; the oracle and "beats the oracle" use only images with a ReaL label.</footer>
</body>
</html>
`;
}

function inputsLine(i: ReportInputs): string {
  const parts = [['labels', i.labels], ['original', i.original], ['synsets', i.synsets]].filter(([, v]) => v);
  if (parts.length === 0) return '';
  return `<p class="inputs">${parts.map(([k, v]) => `<span><b>${k}</b> <code>${esc(v)}</code></span>`).join(' ')}</p>`;
}

function cards(r: AnalysisResult): string {
  const m = r.multiplicity;
  const items: Array<[string, string, string]> = [
    [int(r.n_images), 'images', `${int(r.num_classes)} classes`],
    [int(r.n_scored), 'with a ReaL label', `${int(r.n_skipped)} without (skipped)`],
    [pct(m.share_multi, 1), 'with several labels', `${int(m.n_multi)} images; ${pct(m.share_multi_of_labelled, 1)} of labelled`],
    [pct(r.oracle.overall, 1), 'unbiased oracle, original labels', `${int(r.oracle.n_below)} classes below ${pct(r.oracle.threshold, 0)}`],
    [String(r.models.length), r.models.length === 1 ? 'model' : 'models', best(r)],
  ];
  return `<section class="cards">${items
    .map(([v, l, s]) => `<div class="card"><div class="v">${esc(v)}</div><div class="l">${esc(l)}</div><div class="s">${esc(s)}</div></div>`)
    .join('')}</section>`;
}

function best(r: AnalysisResult): string {
  const scored = r.models.filter((m) => m.real_top1 !== null);
  if (scored.length === 0) return 'no predictions given';
  const top = scored.reduce((a, b) => (b.real_top1! > a.real_top1! ? b : a));
  return `best ReaL top-1: ${top.name} (${pct(top.real_top1, 1)})`;
}

function figure(c: RenderedChart | undefined): string {
  if (!c) return '';
  const links = [`<a href="${esc(c.id)}.svg">SVG</a>`, c.png ? `<a href="${esc(c.png)}">PNG</a>` : '', `<a href="${esc(c.id)}.vl.json">spec</a>`].filter(Boolean).join(' · ');
  return `<figure class="${c.wide ? 'wide' : 'half'}">${c.svg}<figcaption>${esc(c.caption)} <span class="links">${links}</span></figcaption></figure>`;
}

function modelsSection(r: AnalysisResult, fig4: RenderedChart | undefined, beats: RenderedChart | undefined): string {
  if (r.models.length === 0) {
    return `<section><h2>Models</h2><p class="note">No predictions were given (<code>--predictions</code>): only the label analyses below.</p></section>`;
  }
  const rows = [...r.models]
    .sort((a, b) => (b.real_top1 ?? -1) - (a.real_top1 ?? -1))
    .map((m) => `<tr><td class="name">${esc(m.name)}<div class="kind">${m.kind === 'scores' ? 'scores' : 'top-1 only'}</div></td>${bar(m.real_top1)}${bar(m.real_top5)}${bar(m.real_strict, '#7c3aed')}${bar(m.original_top1, '#6b7280')}${bar(m.original_top5, '#6b7280')}<td class="num">${int(m.classes_beating_oracle)}</td></tr>`)
    .join('');
  return `<section>
<h2>Models</h2>
<table class="metrics"><thead><tr><th>model</th><th>ReaL top-1</th><th>ReaL top-5</th><th>ReaL strict</th><th>original top-1</th><th>original top-5</th><th title="classes where the model beats the unbiased oracle">beats oracle</th></tr></thead><tbody>${rows}</tbody></table>
<p class="note">ReaL top-1: the top prediction is one of the image's ReaL labels. Top-5: any of the top five is. Strict: the top-|S| predictions are exactly the set S. Top-5 and strict need scores (logits or probabilities).</p>
${slopesText(r)}
<div class="figs">${figure(fig4)}${figure(beats)}</div>
</section>`;
}

function slopesText(r: AnalysisResult): string {
  const { weaker, stronger } = r.slopes;
  if (!weaker || !stronger) {
    return `<p class="note">The slope analysis (the paper's Figure 4: 0.86 for weaker models vs 0.51 for stronger ones) needs at least four models with original labels; ${r.models.length} given.</p>`;
  }
  return `<p class="callout">Across models, each point of original accuracy buys <b>${weaker.slope.toFixed(2)}</b> points of ReaL accuracy in the weaker half (${weaker.models.length} models) and <b>${stronger.slope.toFixed(2)}</b> in the stronger half (${stronger.models.length}). The paper found 0.86 and 0.51.</p>`;
}

function oracleSection(r: AnalysisResult, fig6: RenderedChart | undefined, hist: RenderedChart | undefined, scatter: RenderedChart | undefined): string {
  const name = (c: number) => r.classes[c].name;
  const shown = r.oracle.below.slice(0, 25);
  const rows = shown
    .map((b) => `<tr><td class="name">${esc(name(b.class))}<div class="kind">${esc(r.classes[b.class].wnid ?? `#${b.class}`)}</div></td>${bar(b.accuracy, '#d97706')}<td class="num">${int(b.n)}</td><td class="chips">${b.cooccurring
      .map((x) => `<span class="chip" style="--w:${(100 * x.share).toFixed(0)}%">${esc(name(x.class))} <b>${pct(x.share, 0)}</b></span>`)
      .join('') || '<span class="muted">none</span>'}</td></tr>`)
    .join('');
  return `<section>
<h2>The unbiased oracle</h2>
<p>An oracle that knows every object in the image and names one of them at random scores <b>${pct(r.oracle.overall, 1)}</b> against the original labels. Where it falls short, the original label had to pick one object among several: the classes below are those where this happens most. Shares are of the images whose original label the ReaL set confirms.</p>
<div class="figs">${figure(hist)}${figure(scatter)}${figure(fig6)}</div>
<h3>Classes where the oracle is lowest <span class="muted">(${shown.length} of ${int(r.oracle.n_below)} below ${pct(r.oracle.threshold, 0)}; all in <a href="oracle.csv">oracle.csv</a>, <a href="cooccurrence.csv">cooccurrence.csv</a>)</span></h3>
<table><thead><tr><th>class</th><th>oracle</th><th>images</th><th>co-occurring classes</th></tr></thead><tbody>${rows}</tbody></table>
</section>`;
}

function beatsSection(r: AnalysisResult): string {
  if (r.beats_oracle.length === 0) return '';
  const name = (c: number) => r.classes[c].name;
  const blocks = r.beats_oracle
    .map((b, i) => {
      const rows = b.classes
        .slice(0, 15)
        .map((x) => `<tr><td class="name">${esc(name(x.class))}</td>${bar(x.model_accuracy)}${bar(x.oracle_accuracy, '#111827')}<td class="num">+${(100 * (x.model_accuracy - x.oracle_accuracy)).toFixed(1)}</td><td class="num">${int(x.n)}</td></tr>`)
        .join('');
      return `<details${i === 0 ? ' open' : ''}><summary><b>${esc(b.model)}</b> beats the oracle on ${int(b.n_classes)} of ${int(b.n_compared)} classes</summary>
<table><thead><tr><th>class</th><th>model</th><th>oracle</th><th>margin (points)</th><th>images</th></tr></thead><tbody>${rows}</tbody></table></details>`;
    })
    .join('');
  return `<section><h2>Where models beat the oracle</h2><p>Largest margins first; every class in <a href="beats_oracle.csv">beats_oracle.csv</a>.</p>${blocks}</section>`;
}

function multiplicitySection(r: AnalysisResult, sizes: RenderedChart | undefined, pairs: RenderedChart | undefined): string {
  const m = r.multiplicity;
  const name = (c: number) => r.classes[c].name;
  const rows = m.top_pairs
    .slice(0, 20)
    .map((p, i) => `<tr><td class="num">${i + 1}</td><td class="name">${esc(name(p.a))}</td><td class="name">${esc(name(p.b))}</td><td class="num">${int(p.count)}</td></tr>`)
    .join('');
  return `<section>
<h2>Label multiplicity</h2>
<p><b>${int(m.n_multi)}</b> of ${int(m.n_images)} images (${pct(m.share_multi, 2)}; ${pct(m.share_multi_of_labelled, 2)} of the ${int(m.n_labelled)} with a label) carry two or more ReaL labels.</p>
<div class="figs">${figure(sizes)}${figure(pairs)}</div>
<h3>Most frequent pairs</h3>
<table class="narrow"><thead><tr><th>#</th><th>class</th><th>class</th><th>images</th></tr></thead><tbody>${rows}</tbody></table>
</section>`;
}

function filesSection(charts: RenderedChart[], tables: Table[]): string {
  const t = tables.map((x) => `<li><a href="${esc(x.file)}">${esc(x.file)}</a> <span class="muted">${esc(x.description)} (${int(x.rows.length)} rows)</span></li>`).join('');
  const c = charts
    .map((x) => `<li>${esc(x.title)}: <a href="${esc(x.id)}.svg">SVG</a>${x.png ? ` · <a href="${esc(x.png)}">PNG</a>` : ''} · <a href="${esc(x.id)}.vl.json">Vega-Lite spec</a></li>`)
    .join('');
  return `<section><h2>Files</h2><div class="cols"><div><h3>Tables</h3><ul>${t}<li><a href="summary.json">summary.json</a> <span class="muted">everything above, as JSON</span></li></ul></div><div><h3>Figures</h3><ul>${c}</ul></div></div></section>`;
}

const CSS = `
:root{--ink:#1f2937;--muted:#6b7280;--line:#e5e7eb;--bg:#f7f8fa;--accent:#2563eb}
*{box-sizing:border-box}
body{margin:0;background:var(--bg);color:var(--ink);font:15px/1.55 -apple-system,BlinkMacSystemFont,"Segoe UI",Helvetica,Arial,sans-serif}
header{background:#111827;color:#f9fafb;padding:28px max(24px,calc(50% - 560px)) 22px}
header h1{margin:0 0 4px;font-size:26px;font-weight:650;letter-spacing:-.01em}
header .sub{margin:0;color:#cbd5e1}
header .inputs{margin:10px 0 0;font-size:12.5px;color:#94a3b8;display:flex;flex-wrap:wrap;gap:4px 18px}
header code{color:#e2e8f0;font-size:12px}
main{max-width:1120px;margin:0 auto;padding:8px 24px 40px}
section{background:#fff;border:1px solid var(--line);border-radius:10px;padding:20px 24px;margin:18px 0;box-shadow:0 1px 2px rgba(0,0,0,.03)}
section.cards{display:grid;grid-template-columns:repeat(auto-fit,minmax(190px,1fr));gap:12px;background:none;border:0;box-shadow:none;padding:0}
.card{background:#fff;border:1px solid var(--line);border-radius:10px;padding:14px 16px}
.card .v{font-size:26px;font-weight:650;letter-spacing:-.02em}
.card .l{font-weight:600}
.card .s{color:var(--muted);font-size:12.5px}
h2{margin:0 0 10px;font-size:19px}
h3{margin:18px 0 8px;font-size:15px}
p{margin:8px 0}
a{color:var(--accent);text-decoration:none}
a:hover{text-decoration:underline}
.note{color:var(--muted);font-size:13px}
.callout{background:#eff6ff;border-left:3px solid var(--accent);padding:8px 12px;border-radius:4px}
.muted{color:var(--muted);font-weight:400}
table{border-collapse:collapse;width:100%;font-size:13.5px;margin:6px 0}
table.narrow{width:auto;min-width:50%}
th{text-align:left;font-weight:600;color:var(--muted);font-size:12px;text-transform:uppercase;letter-spacing:.03em;border-bottom:1px solid var(--line);padding:6px 10px}
td{border-bottom:1px solid #f0f1f3;padding:6px 10px;vertical-align:middle}
tbody tr:hover{background:#fafbfc}
td.num{text-align:right;font-variant-numeric:tabular-nums;white-space:nowrap}
td.name{font-weight:550}
.kind{font-size:11.5px;color:var(--muted);font-weight:400}
td.bar{position:relative;min-width:92px}
td.bar::before{content:"";position:absolute;left:10px;right:10px;bottom:5px;height:3px;border-radius:2px;background:linear-gradient(90deg,var(--c) var(--w),#eceef2 var(--w))}
.chips{display:flex;flex-wrap:wrap;gap:4px}
.chip{font-size:12px;border-radius:12px;padding:1px 9px;background:linear-gradient(90deg,#fde7c7 var(--w),#f5f5f4 var(--w));border:1px solid #eadfcd;white-space:nowrap}
.chip b{font-weight:600}
.figs{display:flex;flex-wrap:wrap;gap:18px;align-items:flex-start}
figure{margin:10px 0;flex:1 1 440px;min-width:0}
figure.wide{flex-basis:100%}
figure svg{max-width:100%;height:auto;display:block}
figcaption{font-size:12.5px;color:var(--muted);margin-top:4px}
figcaption .links{white-space:nowrap}
details{border:1px solid var(--line);border-radius:8px;padding:8px 12px;margin:8px 0}
summary{cursor:pointer}
.cols{display:grid;grid-template-columns:repeat(auto-fit,minmax(320px,1fr));gap:8px 24px}
ul{margin:4px 0;padding-left:18px}
li{margin:3px 0}
footer{text-align:center;color:var(--muted);font-size:12px;padding:0 0 30px}
`;
