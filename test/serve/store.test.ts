import * as fs from 'node:fs';
import * as path from 'node:path';
import type { FastifyInstance } from 'fastify';
import { ValidationError } from '../../src/errors';
import { createRatingServer, type RatingServerOptions } from '../../src/serve/server';
import { tmpDir } from '../helpers/tmp';
import { makeProject, type Project } from './fixture';

const dir = tmpDir('serve-store-');
let project: Project;

beforeAll(async () => {
  project = await makeProject(dir);
});

function options(db: string, extra: Partial<RatingServerOptions> = {}): RatingServerOptions {
  return { db, tasks: project.tasks, images: project.images, synsets: project.synsets, ...extra };
}

async function rateOne(app: FastifyInstance, token: string): Promise<void> {
  const t = (await app.inject({ method: 'GET', url: '/api/next', headers: { authorization: `Bearer ${token}` } })).json();
  const r = await app.inject({
    method: 'POST', url: '/api/answers', headers: { authorization: `Bearer ${token}` },
    payload: { assignment: t.assignment, answers: t.labels.map((l: { label: number }) => ({ label: l.label, answer: 'no' })) },
  });
  expect(r.statusCode).toBe(200);
}

test('a restart on the same database resumes: same admin token, raters, answers; importing the same tasks is a no-op', async () => {
  const db = path.join(dir, 'resume.sqlite');
  let app = await createRatingServer(options(db, { overlap: 1 }));
  const admin = app.realabel.adminToken;
  const rater = (await app.inject({ method: 'POST', url: '/api/raters', headers: { authorization: `Bearer ${admin}` }, payload: { name: 'a' } })).json().token;
  await rateOne(app, rater);
  await rateOne(app, rater);
  await app.close();

  app = await createRatingServer(options(db, { overlap: 1 }));
  try {
    expect(app.realabel.adminToken).toBe(admin);
    const p = (await app.inject({ method: 'GET', url: '/api/progress', headers: { authorization: `Bearer ${admin}` } })).json();
    expect(p).toMatchObject({ tasks: 20, tasks_complete: 2, answers: 6 });
    // The rater continues where they stopped.
    const t = (await app.inject({ method: 'GET', url: '/api/next', headers: { authorization: `Bearer ${rater}` } })).json();
    expect(t.task).toBe('2-0');
  } finally {
    await app.close();
  }
});

test('a different tasks file is an error naming it, unless --add; --add adds only the new tasks', async () => {
  const db = path.join(dir, 'add.sqlite');
  await (await createRatingServer(options(db))).close();
  const more = path.join(dir, 'more.jsonl');
  const lines = fs.readFileSync(project.tasks, 'utf8').trim().split('\n').slice(0, 20);
  lines.push(JSON.stringify({ task: 'extra-0', image: 21, labels: [{ label: 5 }] }));
  fs.writeFileSync(more, `${lines.join('\n')}\n`);
  await expect(createRatingServer(options(db, { tasks: more }))).rejects.toThrow(/more\.jsonl: differs from the tasks already in the database \(pass --add/);
  const app = await createRatingServer(options(db, { tasks: more, add: true }));
  try {
    expect((app.realabel.db.prepare('SELECT COUNT(*) AS n FROM tasks').get() as { n: number }).n).toBe(21);
  } finally {
    await app.close();
  }
  // A task of the same name with other labels is refused.
  const clash = path.join(dir, 'clash.jsonl');
  fs.writeFileSync(clash, `${JSON.stringify({ task: '0-0', image: 0, labels: [{ label: 7 }] })}\n`);
  await expect(createRatingServer(options(db, { tasks: clash, add: true }))).rejects.toThrow(/task '0-0' is already in the database with other labels/);
});

test('missing images: a start-up error listing the first few; --allow-missing skips their tasks', async () => {
  const images = path.join(dir, 'few-images');
  fs.mkdirSync(images);
  for (const f of fs.readdirSync(project.images).slice(0, 18)) fs.copyFileSync(path.join(project.images, f), path.join(images, f));
  const db = path.join(dir, 'missing.sqlite');
  const err = await createRatingServer(options(db, { images })).catch((e) => e);
  expect(err).toBeInstanceOf(ValidationError);
  expect(err.message).toMatch(/2 task images are missing, e\.g\. .*ILSVRC2012_val_00000019\.JPEG, .*ILSVRC2012_val_00000020\.JPEG/);
  const app = await createRatingServer(options(db, { images, allowMissing: true }));
  try {
    expect(app.realabel.skipped).toEqual([18, 19]);
    const p = (await app.inject({ method: 'GET', url: '/api/progress', headers: { authorization: `Bearer ${app.realabel.adminToken}` } })).json();
    expect(p).toMatchObject({ tasks: 18, skipped_tasks: 2 });
  } finally {
    await app.close();
  }
});

test('an image list: names stay inside --images', async () => {
  const list = path.join(dir, 'list.txt');
  const names = fs.readdirSync(project.images).sort();
  names[3] = '../synset.txt';
  fs.writeFileSync(list, `${names.join('\n')}\n`);
  const err = await createRatingServer(options(path.join(dir, 'list.sqlite'), { imageList: list })).catch((e) => e);
  expect(err.message).toMatch(/1 task image is missing, e\.g\. image 3/);
});

test('bad tasks files are errors naming the file and line', async () => {
  const bad = path.join(dir, 'bad.jsonl');
  for (const [text, msg] of [
    ['{"task": "a", "image": 0, "labels": [{"label": 1}]}\n{"task": "a", "image": 1, "labels": [{"label": 1}]}\n', /line 2: task 'a' appears twice/],
    ['{"task": "a", "image": -1, "labels": [1]}\n', /line 1: 'image' must be an integer >= 0/],
    ['{"task": "a", "image": 0, "labels": [{"label": 99}]}\n', /label 99 is beyond the 10 classes/],
    ['not json\n', /line 1: not valid JSON/],
  ] as const) {
    fs.writeFileSync(bad, text);
    await expect(createRatingServer(options(path.join(dir, `bad${Math.random()}.sqlite`), { tasks: bad }))).rejects.toThrow(msg);
  }
});
