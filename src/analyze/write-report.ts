/**
 * Writes an analysis to a directory: CSV tables, figures (SVG, Vega-Lite
 * spec, PNG on request), summary.json and report.html. Everything is
 * rendered first and staged in a sibling temp directory, then moved in, so
 * a failure leaves nothing behind.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { toCsv } from '../evaluate/csv';
import type { AnalysisResult } from './analyze';
import { allCharts } from './charts';
import { renderSvgs, svgToPng } from './render';
import { renderReport, type RenderedChart, type ReportInputs } from './report';
import { analysisTables } from './tables';
import { intoNewFolder, makeDirs } from '../io/files';

export interface WriteReportOptions {
  /** Also write a PNG of every figure. */
  png?: boolean;
  /** Input file names, shown in the report's header. */
  inputs?: ReportInputs;
}

export interface WrittenReport {
  dir: string;
  report: string;
  files: string[];
}

export async function writeReport(result: AnalysisResult, dir: string, opts: WriteReportOptions = {}): Promise<WrittenReport> {
  const files = await renderFiles(result, opts);
  const out = path.resolve(dir);
  // Files are staged beside the folder, then moved in: its parents are created first (mkdir -p).
  await intoNewFolder(path.dirname(out), () => {
    const stage = fs.mkdtempSync(path.join(path.dirname(out), `.${path.basename(out)}.tmp-`));
    try {
      for (const [name, data] of files) fs.writeFileSync(path.join(stage, name), data);
      makeDirs(out);
      for (const [name] of files) fs.renameSync(path.join(stage, name), path.join(out, name));
    } finally {
      fs.rmSync(stage, { recursive: true, force: true });
    }
  });
  return { dir: out, report: path.join(out, 'report.html'), files: [...files.keys()] };
}

/** Every output file, in memory: name → contents. */
export async function renderFiles(result: AnalysisResult, opts: WriteReportOptions = {}): Promise<Map<string, string | Buffer>> {
  const charts = allCharts(result).map((c) => ({ ...c, spec: { ...c.spec, title: c.title } }));
  const svgs = await renderSvgs(charts.map((c) => c.spec));
  const rendered: RenderedChart[] = charts.map((c, i) => ({ ...c, svg: svgs[i], png: opts.png ? `${c.id}.png` : undefined }));
  const tables = analysisTables(result);
  const files = new Map<string, string | Buffer>();
  for (const t of tables) files.set(t.file, toCsv(t.header, t.rows));
  for (const c of rendered) {
    files.set(`${c.id}.svg`, c.svg);
    files.set(`${c.id}.vl.json`, `${JSON.stringify(c.spec, null, 1)}\n`);
    if (c.png) files.set(c.png, await svgToPng(c.svg));
  }
  files.set('summary.json', `${JSON.stringify(result, null, 1)}\n`);
  files.set('report.html', renderReport(result, rendered.map((c) => ({ ...c, svg: inlineSvg(c.svg, c.id) })), tables, opts.inputs));
  return files;
}

/**
 * Vega names its clip paths clip1, clip2... in every SVG; inlined together
 * they would collide, so each figure's ids get its own prefix.
 */
function inlineSvg(svg: string, id: string): string {
  return svg.replace(/id="([^"]+)"/g, `id="${id}-$1"`).replace(/url\(#([^)]+)\)/g, `url(#${id}-$1)`).replace(/href="#([^"]+)"/g, `href="#${id}-$1"`);
}
