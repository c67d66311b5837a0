import * as path from 'node:path';
import type { FastifyInstance } from 'fastify';
import { agreement, median } from '../../src/serve/agreement';
import { createRatingServer, type RatingServerOptions } from '../../src/serve/server';
import { tmpDir } from '../helpers/tmp';
import { makeProject, type Project } from './fixture';

const dir = tmpDir('serve-quality-');
let project: Project;
let n = 0;

beforeAll(async () => {
  project = await makeProject(dir, 6, 4);
});

/** Answers from per-question category counts (question q, category a, count c). */
function fromCounts(table: number[][]) {
  const q: number[] = [];
  const r: number[] = [];
  const a: number[] = [];
  table.forEach((row, i) => {
    let rater = 0;
    row.forEach((c, k) => {
      for (let j = 0; j < c; j++) q.push(i), a.push(k), r.push(rater++);
    });
  });
  return { question: Int32Array.from(q), rater: Int32Array.from(r), answer: Int32Array.from(a), numQuestions: table.length, numRaters: 14, numAnswers: table[0].length };
}

test("Fleiss' kappa: the textbook example (Fleiss 1971 via Wikipedia: 10 subjects, 14 raters, 5 categories) is 0.210", () => {
  const table = [
    [0, 0, 0, 0, 14], [0, 2, 6, 4, 2], [0, 0, 3, 5, 6], [0, 3, 9, 2, 0], [2, 2, 8, 1, 1],
    [7, 7, 0, 0, 0], [3, 2, 6, 3, 0], [2, 5, 3, 2, 2], [6, 5, 2, 1, 0], [0, 2, 2, 3, 7],
  ];
  const r = agreement(fromCounts(table));
  expect(r.fleissKappa).toBeCloseTo(0.20993, 5);
  // Pairwise agreement is P-bar when every question has the same number of raters.
  expect(r.pairwise).toBeCloseTo(0.37802, 5);
  expect(r.questions).toBe(10);
});

test('agreement: perfect agreement is kappa 1; questions with one answer are left out; per rater counts', () => {
  const r = agreement({ question: Int32Array.of(0, 0, 1, 1, 2), rater: Int32Array.of(0, 1, 0, 1, 0), answer: Int32Array.of(2, 2, 0, 0, 1), numQuestions: 3, numRaters: 2, numAnswers: 3 });
  expect(r.fleissKappa).toBe(1);
  expect(r.perRater).toEqual([{ agree: 2, pairs: 2 }, { agree: 2, pairs: 2 }]);
  expect(median([5, 1, 3, 2])).toBe(2.5);
  expect(median([])).toBeNull();
});

async function server(extra: Partial<RatingServerOptions>): Promise<FastifyInstance> {
  return createRatingServer({ db: path.join(dir, `q${n++}.sqlite`), tasks: project.tasks, images: project.images, synsets: project.synsets, ...extra });
}

async function rater(app: FastifyInstance, name: string) {
  const token = (await app.inject({ method: 'POST', url: '/api/raters', headers: { authorization: `Bearer ${app.realabel.adminToken}` }, payload: { name } })).json().token;
  return {
    async rateNext(answer: (image: number, label: number) => string, msPerLabel = 1000): Promise<{ image: number } | null> {
      const t = await app.inject({ method: 'GET', url: '/api/next', headers: { authorization: `Bearer ${token}` } });
      if (t.statusCode === 204) return null;
      const task = t.json();
      const answers = task.labels.map((l: { label: number }) => ({ label: l.label, answer: answer(task.image, l.label) }));
      const r = await app.inject({ method: 'POST', url: '/api/answers', headers: { authorization: `Bearer ${token}` }, payload: { assignment: task.assignment, answers, ms: msPerLabel * answers.length } });
      expect(r.statusCode).toBe(200);
      return task;
    },
  };
}

const truth = (image: number, label: number) => (image >= 6 ? label === image % 2 : label === image % 10);

test('/api/quality: gold accuracy and confusion, median ms per label, kappa, gold-calibrated posteriors (computed in a worker)', async () => {
  // Gold rate 1: each rater gets all 4 gold tasks first (with both truths), whatever their random tokens draw.
  const app = await server({ overlap: 2, gold: project.gold, goldRate: 1 });
  try {
    const good = await rater(app, 'good');
    const bad = await rater(app, 'contrary');
    while (await good.rateNext((i, l) => (truth(i, l) ? 'yes' : 'no'), 1000));
    while (await bad.rateNext((i, l) => (truth(i, l) ? 'no' : 'yes'), 200));
    await app.realabel.quality.refresh();
    const q = (await app.inject({ method: 'GET', url: '/api/quality', headers: { authorization: `Bearer ${app.realabel.adminToken}` } })).json();
    const [g, b] = q.raters;
    expect(g).toMatchObject({ name: 'good', gold_accuracy: 1, median_ms_per_label: 1000 });
    expect(b).toMatchObject({ name: 'contrary', gold_accuracy: 0, median_ms_per_label: 200 });
    expect(g.gold_answers).toBeGreaterThan(0);
    // Truth rows: absent, present; answer columns: no, maybe, yes.
    expect(g.gold_confusion[0][1] + g.gold_confusion[0][2] + g.gold_confusion[1][0] + g.gold_confusion[1][1]).toBe(0);
    expect(b.gold_confusion[0][0] + b.gold_confusion[1][2]).toBe(0);
    // Two raters who always disagree: kappa below 0, no pairwise agreement.
    expect(q.pairwise_agreement).toBe(0);
    expect(q.fleiss_kappa).toBeLessThan(0);
    expect(q.method).toBe('gold');
    expect(q.posteriors.questions).toBe(6 * 3);
    // Calibrated on gold, the good rater wins every disagreement.
    expect(q.posteriors.present).toBe(6);
  } finally {
    await app.close();
  }
});

test('adaptive: a complete task with a posterior in the band gets one more rater, up to max', async () => {
  // Refreshes only when asked, so targets change exactly between the steps below.
  const app = await server({ adaptive: { min: 1, max: 3, band: [0, 1] }, qualityDelayMs: 0 });
  try {
    const raters = await Promise.all(['a', 'b', 'c', 'd'].map((x) => rater(app, x)));
    const count = () => app.realabel.db.prepare('SELECT target, done FROM tasks ORDER BY id').all() as Array<{ target: number; done: number }>;
    // Round 1: one rater per task.
    while (await raters[0].rateNext((i, l) => (truth(i, l) ? 'yes' : 'no')));
    expect(await raters[1].rateNext(() => 'no')).toBeNull();
    expect(count().every((t) => t.target === 1 && t.done === 1)).toBe(true);
    // Every posterior is inside [0, 1]: each refresh adds one rater, up to max.
    await app.realabel.quality.refresh();
    expect(count().every((t) => t.target === 2)).toBe(true);
    while (await raters[1].rateNext(() => 'maybe'));
    await app.realabel.quality.refresh();
    while (await raters[2].rateNext(() => 'maybe'));
    await app.realabel.quality.refresh();
    expect(count().every((t) => t.target === 3 && t.done === 3)).toBe(true);
    expect(await raters[3].rateNext(() => 'no')).toBeNull();
  } finally {
    await app.close();
  }
});
