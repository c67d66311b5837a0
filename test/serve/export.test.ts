import * as fs from 'node:fs';
import * as path from 'node:path';
import type { FastifyInstance } from 'fastify';
import { aggregate } from '../../src/aggregate/aggregate';
import { readAnswers } from '../../src/io/answers';
import { exportToFiles } from '../../src/serve/export';
import { createRatingServer } from '../../src/serve/server';
import { tmpDir } from '../helpers/tmp';
import { makeProject, type Project } from './fixture';

const dir = tmpDir('serve-export-');
let project: Project;
let app: FastifyInstance;

/** Rater r answers yes exactly on the label equal to the image % 10 (the truth), except rater 3 who always says maybe. */
function answer(rater: number, image: number, label: number): string {
  if (rater === 3) return 'maybe';
  return label === image % 10 || (image >= 20 && label === image % 2) ? 'yes' : 'no';
}

beforeAll(async () => {
  project = await makeProject(dir);
  app = await createRatingServer({ db: path.join(dir, 'r.sqlite'), tasks: project.tasks, images: project.images, synsets: project.synsets, gold: project.gold, goldRate: 0.3, overlap: 3 });
  const admin = { authorization: `Bearer ${app.realabel.adminToken}` };
  const tokens: string[] = [];
  for (let r = 0; r < 4; r++) tokens.push((await app.inject({ method: 'POST', url: '/api/raters', headers: admin, payload: { name: `r${r}` } })).json().token);
  for (let round = 0; round < 40; round++) {
    for (let r = 0; r < 4; r++) {
      const t = await app.inject({ method: 'GET', url: '/api/next', headers: { authorization: `Bearer ${tokens[r]}` } });
      if (t.statusCode === 204) continue;
      const task = t.json();
      const answers = task.labels.map((l: { label: number }) => ({ label: l.label, answer: answer(r, task.image, l.label) }));
      await app.inject({ method: 'POST', url: '/api/answers', headers: { authorization: `Bearer ${tokens[r]}` }, payload: { assignment: task.assignment, answers, ms: 3000 } });
    }
  }
});
afterAll(async () => {
  await app?.close();
});

test('csv export: the long task,worker,label form; gold answers apart; aggregate recovers the truth', async () => {
  const out = path.join(dir, 'answers.csv');
  const goldOut = path.join(dir, 'gold.csv');
  const r = exportToFiles(app.realabel.db, { format: 'csv', out, goldOut });
  expect(r.answers).toBe(20 * 3 * 3);
  expect(r.gold_answers).toBeGreaterThan(0);
  const lines = fs.readFileSync(out, 'utf8').trim().split('\n');
  expect(lines[0]).toBe('task,worker,label');
  expect(lines[1]).toMatch(/^0:[0-9],\d,(yes|no|maybe)$/);
  const agg = await aggregate({ answers: out, mode: 'verification', method: 'gold', goldAnswers: goldOut, goldTruth: project.gold });
  const table = await readAnswers(out, { mode: 'verification' });
  table.tasks.forEach((t, q) => {
    const [image, label] = t.split(':').map(Number);
    expect([t, agg.posterior[q] > 0.5]).toEqual([t, label === image % 10]);
  });
});

test('jsonl and raters-npz exports give aggregate the same answers as csv', async () => {
  const csv = path.join(dir, 'a.csv');
  const jsonl = path.join(dir, 'a.jsonl');
  const npz = path.join(dir, 'a.npz');
  const goldNpz = path.join(dir, 'gold.npz');
  exportToFiles(app.realabel.db, { format: 'csv', out: csv });
  exportToFiles(app.realabel.db, { format: 'jsonl', out: jsonl });
  exportToFiles(app.realabel.db, { format: 'raters-npz', out: npz, goldOut: goldNpz });
  const ds = async (f: string) => (await aggregate({ answers: f, method: 'ds', mode: 'verification' })).posterior;
  const a = await ds(csv);
  expect(Array.from(await ds(jsonl))).toEqual(Array.from(a));
  // raters.npz orders answers rater by rater: same questions, same posteriors up to EM's rounding.
  const t = await readAnswers(npz);
  const post = await ds(npz);
  const csvTable = await readAnswers(csv, { mode: 'verification' });
  const at = new Map(csvTable.tasks.map((x, q) => [x, q]));
  t.tasks.forEach((name, q) => {
    const [file, label] = name.split(':');
    const image = Number(file.slice(15, 23)) - 1;
    expect(post[q]).toBeCloseTo(a[at.get(`${image}:${label}`)!], 9);
  });
  // --method gold runs on the npz pair with the gold CSV as truth.
  const gold = await aggregate({ answers: npz, method: 'gold', goldAnswers: goldNpz, goldTruth: project.gold });
  expect(gold.gold?.questions).toBeGreaterThan(0);
});

test('label-studio export: tasks with question ids, annotations with completed_by, lead_time, ground_truth; aggregate reads it', async () => {
  const out = path.join(dir, 'ls.json');
  const goldOut = path.join(dir, 'ls-gold.json');
  exportToFiles(app.realabel.db, { format: 'label-studio', out, goldOut });
  const tasks = JSON.parse(fs.readFileSync(out, 'utf8'));
  expect(tasks).toHaveLength(20);
  expect(tasks[0].data).toMatchObject({ image: '/images/0', task: '0-0', question_1: '0:0', question_2: '0:1', question_3: '0:2' });
  expect(tasks[0].annotations).toHaveLength(3);
  expect(tasks[0].annotations[0]).toMatchObject({ completed_by: expect.any(Number), lead_time: 3, ground_truth: false });
  expect(tasks[0].annotations[0].result[0]).toMatchObject({ from_name: 'answer_1', to_name: 'image', type: 'choices', value: { choices: [expect.stringMatching(/^(yes|no|maybe)$/)] } });
  const gold = JSON.parse(fs.readFileSync(goldOut, 'utf8'));
  expect(gold[0].annotations[0]).toMatchObject({ ground_truth: true });
  const fromLs = await aggregate({ answers: out, method: 'ds', mode: 'verification' });
  const fromCsv = await aggregate({ answers: path.join(dir, 'a.csv'), method: 'ds', mode: 'verification' });
  expect(fromLs.answers).toBe(fromCsv.answers);
  expect(fromLs.questions).toBe(fromCsv.questions);
});

test('GET /api/export builds the export in a worker thread: the same bytes as the file export, gold answers apart', async () => {
  const admin = { authorization: `Bearer ${app.realabel.adminToken}` };
  for (const [format, ext] of [['csv', 'csv'], ['jsonl', 'jsonl'], ['label-studio', 'json']] as const) {
    const file = path.join(dir, `route.${ext}`);
    exportToFiles(app.realabel.db, { format, out: file });
    const res = await app.inject({ method: 'GET', url: `/api/export?format=${format}`, headers: admin });
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-disposition']).toBe(`attachment; filename="answers.${ext}"`);
    expect(res.rawPayload.equals(fs.readFileSync(file))).toBe(true);
  }
  const npz = await app.inject({ method: 'GET', url: '/api/export?format=raters-npz', headers: admin });
  expect([npz.statusCode, npz.json().error]).toEqual([400, 'bad_request']);
});

test('label-studio export: a non-integer time on task (written by a direct library call) keeps its value', () => {
  const db = app.realabel.db;
  const id = (db.prepare('SELECT assignment_id FROM answers ORDER BY id LIMIT 1').pluck().get() as number);
  const before = db.prepare('SELECT ms FROM assignments WHERE id = ?').pluck().get(id);
  db.prepare('UPDATE assignments SET ms = 2500.5 WHERE id = ?').run(id);
  try {
    const out = path.join(dir, 'ls-float.json');
    exportToFiles(db, { format: 'label-studio', out });
    const anns = (JSON.parse(fs.readFileSync(out, 'utf8')) as Array<{ annotations: Array<{ id: number; lead_time: number }> }>).flatMap((t) => t.annotations);
    expect(anns.find((a) => a.id === id)?.lead_time).toBe(2.5005);
  } finally {
    db.prepare('UPDATE assignments SET ms = ? WHERE id = ?').run(before, id);
  }
});
