import * as fs from 'node:fs';
import * as path from 'node:path';
import { analyzeSync, type AnalysisResult } from '../../src/analyze/analyze';
import { writeReport } from '../../src/analyze/write-report';
import { readNpy, writeNpy } from '../../src/io/npy';
import { readSynsets } from '../../src/io/synsets';
import { describeData, dataPath } from '../helpers/data';
import { tmpDir } from '../helpers/tmp';
import { runCli } from '../evaluate/run-cli';

const REAL = dataPath('reassessed-imagenet', 'real.json');
const ORIG = dataPath('imagenet-val', 'imagenet_val_original_labels.npy');
const CLEANLAB = dataPath('imagenet-val', 'imagenet_val_cleanlab_top1.npy');
const SYNSETS = dataPath('imagenet-classes', 'synset.txt');
const CHROMIUM = '/usr/bin/chromium';

/** Models of graded strength: model k copies the original label on a fixed share of images, else the real model's prediction. */
function gradedModels(original: Int16Array, pred: Int16Array, shares: number[]): Int32Array[] {
  return shares.map((share) => Int32Array.from(pred, (p, i) => (((i * 2654435761) >>> 0) % 1000 < share * 1000 ? original[i] : p)));
}

describeData('analysis report', () => {
  const dir = tmpDir();
  const out = path.join(dir, 'report');
  let result: AnalysisResult;

  beforeAll(async () => {
    const original = readNpy(ORIG).data as Int16Array;
    const pred = readNpy(CLEANLAB).data as Int16Array;
    const shares = [0, 0.1, 0.2, 0.35, 0.5, 0.7];
    result = analyzeSync({
      labels: JSON.parse(fs.readFileSync(REAL, 'utf8')),
      original,
      predictions: gradedModels(original, pred, shares),
      names: shares.map((s) => `graded-${s}`),
      synsets: readSynsets(SYNSETS),
    });
    await writeReport(result, out, { png: true, inputs: { labels: REAL, original: ORIG } });
  }, 120000);

  it('writes the tables, figures and a self-contained HTML page', () => {
    const html = fs.readFileSync(path.join(out, 'report.html'), 'utf8');
    const svgs = fs.readdirSync(out).filter((f) => f.endsWith('.svg'));
    expect(svgs.length).toBeGreaterThanOrEqual(6);
    expect((html.match(/<svg[\s>]/g) ?? []).length).toBe(svgs.length);
    // Nothing loaded from elsewhere; every local link resolves.
    expect(html).not.toMatch(/(src|href)="https?:/);
    expect(html).not.toMatch(/<script/);
    const links = [...html.matchAll(/href="([^"#]+)"/g)].map((m) => m[1]);
    expect(links.length).toBeGreaterThan(10);
    for (const l of links) expect(fs.existsSync(path.join(out, l))).toBe(true);
    // Ids stay unique once the figures are inlined together.
    const ids = [...html.matchAll(/\sid="([^"]+)"/g)].map((m) => m[1]);
    expect(new Set(ids).size).toBe(ids.length);
    expect(html).toContain('desktop computer');
    expect(html).toContain('monitor <b>87%</b>');
  });

  it('fits the two halves of the graded models', () => {
    expect(result.slopes.weaker!.models).toEqual(['graded-0', 'graded-0.1', 'graded-0.2']);
    expect(result.slopes.stronger!.models).toEqual(['graded-0.35', 'graded-0.5', 'graded-0.7']);
    // Copying original labels raises original accuracy faster than ReaL accuracy.
    expect(result.slopes.all!.slope).toBeGreaterThan(0);
    expect(result.slopes.all!.slope).toBeLessThan(1);
    const csv = fs.readFileSync(path.join(out, 'slopes.csv'), 'utf8');
    expect(csv.split('\n')[0]).toBe('group,slope,intercept,models');
  });

  it('rasterises every figure to PNG on request', () => {
    for (const f of fs.readdirSync(out).filter((x) => x.endsWith('.svg'))) {
      const png = fs.readFileSync(path.join(out, f.replace(/\.svg$/, '.png')));
      expect(png.subarray(0, 8)).toEqual(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]));
    }
  });

  const withChromium = fs.existsSync(CHROMIUM) ? it : it.skip;
  if (!fs.existsSync(CHROMIUM)) {
    // eslint-disable-next-line no-console
    console.warn(`skipping the headless-Chromium render test: ${CHROMIUM} not found (apt-get install chromium)`);
  }
  withChromium('renders in headless Chromium with no console errors', async () => {
    const { chromium } = await import('playwright-core');
    const browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'],
    });
    try {
      const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
      const problems: string[] = [];
      page.on('console', (m) => { if (m.type() === 'error') problems.push(m.text()); });
      page.on('pageerror', (e) => problems.push(e.message));
      page.on('requestfailed', (r) => problems.push(`failed: ${r.url()}`));
      await page.goto(`file://${path.join(out, 'report.html')}`, { waitUntil: 'load' });
      // A string, so that the test type-checks without the DOM library.
      const info = (await page.evaluate(`(() => {
        const svgs = Array.from(document.querySelectorAll('figure svg'));
        return {
          svgs: svgs.length,
          width: Math.max(...svgs.map((s) => s.getBoundingClientRect().width)),
          overflow: document.documentElement.scrollWidth > window.innerWidth,
          rows: document.querySelectorAll('table tbody tr').length,
        };
      })()`)) as { svgs: number; width: number; overflow: boolean; rows: number };
      expect(problems).toEqual([]);
      expect(info.svgs).toBeGreaterThanOrEqual(6);
      expect(info.width).toBeGreaterThan(300);
      expect(info.overflow).toBe(false);
      expect(info.rows).toBeGreaterThan(40);
    } finally {
      await browser.close();
    }
  }, 60000);

  it('leaves nothing behind when the input is bad (CLI exit 1)', () => {
    const short = path.join(dir, 'short.npy');
    writeNpy(short, { dtype: 'i2', shape: [10], data: new Int16Array(10) });
    const target = path.join(dir, 'never');
    const r = runCli(['analyze', '--labels', REAL, '--original', ORIG, '--predictions', short, '--out', target]);
    expect(r.code).toBe(1);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toMatch(/short\.npy: has 10 predictions/);
    expect(fs.existsSync(target)).toBe(false);
    expect(fs.readdirSync(dir).filter((f) => f.startsWith('.never'))).toEqual([]);
  });
});
