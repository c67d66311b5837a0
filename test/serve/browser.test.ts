/**
 * End to end in headless Chromium (Debian's, via playwright-core): 5 raters
 * answer 20 tasks with the keyboard on /rate (one of them at phone width),
 * then the export goes through `realabel aggregate`. Skips when
 * /usr/bin/chromium is missing (.ci/run installs it).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { FastifyInstance } from 'fastify';
import { aggregate } from '../../src/aggregate/aggregate';
import { readAnswers } from '../../src/io/answers';
import { listen } from '../../src/serve/cli-helpers';
import { exportToFiles } from '../../src/serve/export';
import { createRatingServer } from '../../src/serve/server';
import { tmpDir } from '../helpers/tmp';
import { makeProject, type Project } from './fixture';

const CHROMIUM = '/usr/bin/chromium';
const dir = tmpDir('serve-browser-');
const withChromium = fs.existsSync(CHROMIUM) ? test : test.skip;
if (!fs.existsSync(CHROMIUM)) {
  // eslint-disable-next-line no-console
  console.warn(`skipping the rating-app browser test: ${CHROMIUM} not found (apt-get install chromium)`);
}

/** Rater r's answer: the truth (label = image % 10 is present), except rater 4, who says maybe on image % 10 + 1. */
function answerKey(rater: number, image: number, label: number): '1' | '2' | '3' {
  if (label === image % 10) return '1';
  if (rater === 4 && label === (image + 1) % 10) return '2';
  return '3';
}

withChromium('5 raters answer 20 tasks with the keyboard; the export goes through aggregate', async () => {
  const project: Project = await makeProject(dir, 20, 0);
  const app: FastifyInstance = await createRatingServer({ db: path.join(dir, 'e2e.sqlite'), tasks: project.tasks, images: project.images, synsets: project.synsets, overlap: 5 });
  const { chromium } = await import('playwright-core');
  const browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'],
  });
  try {
    const { url } = await listen(app, '127.0.0.1', 0);
    const admin = { authorization: `Bearer ${app.realabel.adminToken}` };
    const problems: string[] = [];
    const rate = async (r: number) => {
      const invite = (await app.inject({ method: 'POST', url: '/api/raters', headers: admin, payload: { name: `rater${r}` } })).json().token;
      const phone = r === 4;
      const page = await browser.newPage({ viewport: phone ? { width: 390, height: 844 } : { width: 1280, height: 800 } });
      page.on('pageerror', (e) => problems.push(e.message));
      page.on('console', (m) => { if (m.type() === 'error') problems.push(m.text()); });
      await page.goto(`${url}/rate?token=${invite}`);
      let done = 0;
      for (;;) {
        await page.waitForFunction('document.body.dataset.state === "done" || (document.body.dataset.state === "task" && document.activeElement && document.activeElement.classList.contains("label"))');
        const state = (await page.evaluate('({ state: document.body.dataset.state, assignment: document.body.dataset.assignment, image: Number(document.getElementById("photo") && document.getElementById("photo").getAttribute("src").split("/").pop()), labels: Array.from(document.querySelectorAll(".label .name")).map((e) => e.textContent), overflow: document.documentElement.scrollWidth > window.innerWidth })')) as { state: string; assignment: string; image: number; labels: string[]; overflow: boolean };
        if (state.state === 'done') break;
        expect(state.overflow).toBe(false);
        const task = app.realabel.db.prepare('SELECT t.labels FROM assignments a JOIN tasks t ON t.id = a.task_id WHERE a.token = ?').get(state.assignment) as { labels: string };
        const labels = JSON.parse(task.labels) as number[];
        expect(state.labels).toEqual(labels.map((l) => app.realabel.labels[l].name));
        // Submit stays disabled until every label has an answer (default answer: none).
        expect(await page.isDisabled('#submit')).toBe(true);
        for (const l of labels) await page.keyboard.press(answerKey(r, state.image, l));
        expect(await page.isDisabled('#submit')).toBe(false);
        await page.keyboard.press('Enter');
        await page.waitForFunction(`document.body.dataset.assignment !== ${JSON.stringify(state.assignment)} || document.body.dataset.state === "done"`);
        done++;
      }
      await page.close();
      return done;
    };
    const done = await Promise.all([0, 1, 2, 3, 4].map(rate));
    expect(done).toEqual([20, 20, 20, 20, 20]);
    expect(problems).toEqual([]);
    const p = (await app.inject({ method: 'GET', url: '/api/progress', headers: admin })).json();
    expect(p).toMatchObject({ tasks: 20, tasks_complete: 20, answers: 20 * 5 * 3 });
    const stats = app.realabel.db.prepare('SELECT COUNT(*) AS n, SUM(changed) AS changed, MIN(s.ms) AS ms FROM answers a JOIN assignments s ON s.id = a.assignment_id').get() as { n: number; changed: number; ms: number };
    expect(stats).toEqual({ n: 300, changed: 300, ms: expect.any(Number) });
    expect(stats.ms).toBeGreaterThanOrEqual(0);

    const out = path.join(dir, 'answers.csv');
    exportToFiles(app.realabel.db, { format: 'csv', out });
    const agg = await aggregate({ answers: out, method: 'ds', mode: 'verification' });
    const table = await readAnswers(out, { mode: 'verification' });
    expect(table.numWorkers).toBe(5);
    const wrong = table.tasks.filter((t, q) => {
      const [image, label] = t.split(':').map(Number);
      return agg.posterior[q] > 0.5 !== (label === image % 10);
    });
    expect(wrong).toEqual([]);
  } finally {
    await browser.close();
    await app.close();
  }
}, 300_000);
