import * as path from 'node:path';
import type { FastifyInstance } from 'fastify';
import { createRatingServer, type RatingServerOptions } from '../../src/serve/server';
import { tmpDir } from '../helpers/tmp';
import { makeProject, taskLabels, type Project } from './fixture';

const dir = tmpDir('serve-routes-');
let project: Project;
let n = 0;
const open: FastifyInstance[] = [];

beforeAll(async () => {
  project = await makeProject(dir);
});
afterEach(async () => {
  while (open.length) await open.pop()!.close();
});

async function server(extra: Partial<RatingServerOptions> = {}, db = path.join(project.dir, `db${n++}.sqlite`)): Promise<FastifyInstance> {
  const app = await createRatingServer({ db, tasks: project.tasks, images: project.images, synsets: project.synsets, ...extra });
  open.push(app);
  return app;
}

const admin = (app: FastifyInstance) => ({ authorization: `Bearer ${app.realabel.adminToken}` });
const bearer = (token: string) => ({ authorization: `Bearer ${token}` });

async function addRater(app: FastifyInstance, name: string): Promise<string> {
  const r = await app.inject({ method: 'POST', url: '/api/raters', headers: admin(app), payload: { name } });
  expect(r.statusCode).toBe(200);
  return r.json().token;
}

async function next(app: FastifyInstance, token: string) {
  return app.inject({ method: 'GET', url: '/api/next', headers: bearer(token) });
}

function answersFor(labels: Array<{ label: number }>, answer = 'yes') {
  return labels.map((l) => ({ label: l.label, answer }));
}

async function answerCount(app: FastifyInstance): Promise<number> {
  return (app.realabel.db.prepare('SELECT COUNT(*) AS n FROM answers').get() as { n: number }).n;
}

describe('rating API', () => {
  test('raters, next task with WordNet synonyms and gloss, image, submit, progress', async () => {
    const app = await server({ overlap: 2 });
    const r = await app.inject({ method: 'POST', url: '/api/raters', headers: admin(app), payload: { name: 'alice' } });
    expect(r.statusCode).toBe(200);
    const body = r.json();
    expect(body).toEqual({ id: 1, name: 'alice', token: expect.any(String), url: expect.stringMatching(/\/rate\?token=/) });
    const t = await next(app, body.token);
    expect(t.statusCode).toBe(200);
    const task = t.json();
    expect(task.task).toBe('0-0');
    expect(task.image).toBe(0);
    expect(task.labels.map((l: { label: number }) => l.label)).toEqual(taskLabels(0));
    expect(task.labels[0]).toMatchObject({ label: 0, wnid: 'n01440764', name: 'tench', synonyms: expect.arrayContaining(['Tinca tinca']) });
    expect(task.labels[0].gloss).toMatch(/freshwater/);
    const img = await app.inject({ method: 'GET', url: task.image_url });
    expect(img.statusCode).toBe(200);
    expect(img.headers['content-type']).toBe('image/jpeg');
    // The same lease comes back until it is submitted.
    expect((await next(app, body.token)).json().assignment).toBe(task.assignment);
    const s = await app.inject({ method: 'POST', url: '/api/answers', headers: bearer(body.token), payload: { assignment: task.assignment, answers: answersFor(task.labels), ms: 4200 } });
    expect(s.statusCode).toBe(200);
    expect(s.json()).toEqual({ stored: 3 });
    const p = await app.inject({ method: 'GET', url: '/api/progress', headers: admin(app) });
    expect(p.json()).toMatchObject({ tasks: 20, tasks_complete: 0, answers: 3, raters: [{ id: 1, name: 'alice', answers: 3, tasks: 1 }] });
  });

  test('overlap: each task gets exactly `overlap` distinct raters, least-answered first, never twice to one rater', async () => {
    const app = await server({ overlap: 2 });
    const tokens = await Promise.all(['a', 'b', 'c'].map((x) => addRater(app, x)));
    const seen = new Map<string, string[]>();
    const order: string[] = [];
    for (let round = 0; round < 40; round++) {
      for (const tok of tokens) {
        const t = await next(app, tok);
        if (t.statusCode === 204) continue;
        const task = t.json();
        order.push(task.task);
        seen.set(task.task, [...(seen.get(task.task) ?? []), tok]);
        const s = await app.inject({ method: 'POST', url: '/api/answers', headers: bearer(tok), payload: { assignment: task.assignment, answers: answersFor(task.labels, 'no') } });
        expect(s.statusCode).toBe(200);
      }
    }
    expect(seen.size).toBe(20);
    for (const raters of seen.values()) {
      expect(raters.length).toBe(2);
      expect(new Set(raters).size).toBe(2);
    }
    // Least answered first: every task gets its first rater before any gets a second.
    const firstSecond = order.findIndex((t, i) => order.indexOf(t) < i);
    expect(new Set(order.slice(0, firstSecond)).size).toBe(firstSecond);
    expect(firstSecond).toBeGreaterThanOrEqual(19);
    for (const tok of tokens) expect((await next(app, tok)).statusCode).toBe(204);
    const p = (await app.inject({ method: 'GET', url: '/api/progress', headers: admin(app) })).json();
    expect(p.tasks_complete).toBe(20);
    expect(p.answers).toBe(20 * 2 * 3);
  });

  test('a lease expires and its task goes to someone else; the late submit is refused and stores nothing', async () => {
    let clock = 1_000_000;
    const app = await server({ overlap: 1, leaseMs: 60_000, now: () => clock });
    const a = await addRater(app, 'a');
    const b = await addRater(app, 'b');
    const ta = (await next(app, a)).json();
    expect(ta.task).toBe('0-0');
    // While a holds it, b gets the next task.
    expect((await next(app, b)).json().task).toBe('1-0');
    clock += 60_001;
    const late = await app.inject({ method: 'POST', url: '/api/answers', headers: bearer(a), payload: { assignment: ta.assignment, answers: answersFor(ta.labels) } });
    expect(late.statusCode).toBe(410);
    expect(late.json().error).toBe('expired');
    expect(await answerCount(app)).toBe(0);
    // b's lease expired as well; with both freed, the least-answered lowest id comes first.
    const c = await addRater(app, 'c');
    expect((await next(app, c)).json().task).toBe('0-0');
    // a may be leased task 0 again only after c gives it up; now a gets another one.
    expect((await next(app, a)).json().task).toBe('1-0');
  });

  test('gold tasks are mixed in at the gold rate, look like other tasks, and are not in progress', async () => {
    const app = await server({ overlap: 1, gold: project.gold, goldRate: 0.5 });
    const tok = await addRater(app, 'g');
    let gold = 0;
    let main = 0;
    for (;;) {
      const t = await next(app, tok);
      if (t.statusCode === 204) break;
      const task = t.json();
      expect(Object.keys(task).sort()).toEqual(['assignment', 'default_answer', 'expires_at', 'image', 'image_url', 'labels', 'task']);
      expect(task.task).toMatch(/^\d+-0$/);
      if (task.image >= project.numTasks) gold++;
      else main++;
      await app.inject({ method: 'POST', url: '/api/answers', headers: bearer(tok), payload: { assignment: task.assignment, answers: answersFor(task.labels) } });
    }
    expect(main).toBe(20);
    expect(gold).toBeGreaterThan(0);
    expect(gold).toBeLessThanOrEqual(project.numGold);
    const p = (await app.inject({ method: 'GET', url: '/api/progress', headers: admin(app) })).json();
    expect(p.tasks).toBe(20);
  });

  test('--ban-below stops assigning to a rater failing gold, keeps the answers and writes an audit row', async () => {
    const app = await server({ overlap: 1, gold: project.gold, goldRate: 1, banBelow: { accuracy: 0.75, after: 4 } });
    const tok = await addRater(app, 'careless');
    for (let i = 0; i < 2; i++) {
      const task = (await next(app, tok)).json();
      expect(task.image).toBeGreaterThanOrEqual(project.numTasks);
      // 'maybe' is never right on gold.
      await app.inject({ method: 'POST', url: '/api/answers', headers: bearer(tok), payload: { assignment: task.assignment, answers: answersFor(task.labels, 'maybe') } });
    }
    expect((await next(app, tok)).statusCode).toBe(204);
    const p = (await app.inject({ method: 'GET', url: '/api/progress', headers: admin(app) })).json();
    expect(p.raters[0]).toMatchObject({ banned: true, answers: 4, ban_reason: expect.stringMatching(/gold accuracy 0\/4/) });
    expect(app.realabel.db.prepare("SELECT COUNT(*) AS n FROM audit WHERE event = 'banned'").get()).toEqual({ n: 1 });
  });
});

describe('bad requests: 4xx with a JSON error, nothing stored', () => {
  let app: FastifyInstance;
  let tok: string;
  let other: string;
  let task: { assignment: string; labels: Array<{ label: number }> };

  beforeEach(async () => {
    app = await server({ overlap: 2, bodyLimit: 4096 });
    tok = await addRater(app, 'r');
    other = await addRater(app, 'o');
    task = (await next(app, tok)).json();
  });

  const post = (payload: unknown, token = tok) => app.inject({ method: 'POST', url: '/api/answers', headers: bearer(token), payload: payload as object });

  test.each([
    ['an answer outside yes/maybe/no', () => ({ assignment: task.assignment, answers: [{ label: task.labels[0].label, answer: 'perhaps' }] }), 400, 'bad_request'],
    ['a label not in the task', () => ({ assignment: task.assignment, answers: [...answersFor(task.labels), { label: 9, answer: 'no' }] }), 400, 'bad_label'],
    ['a missing label', () => ({ assignment: task.assignment, answers: answersFor(task.labels).slice(1) }), 400, 'missing_labels'],
    ['a label answered twice', () => ({ assignment: task.assignment, answers: [...answersFor(task.labels), { label: task.labels[0].label, answer: 'no' }] }), 400, 'duplicate_label'],
    ['an unknown assignment', () => ({ assignment: 'nope', answers: answersFor(task.labels) }), 404, 'unknown_assignment'],
    ['a missing field', () => ({ answers: answersFor(task.labels) }), 400, 'bad_request'],
    ['an extra field', () => ({ assignment: task.assignment, answers: answersFor(task.labels), rater: 3 }), 400, 'bad_request'],
    ['a negative time', () => ({ assignment: task.assignment, answers: answersFor(task.labels), ms: -1 }), 400, 'bad_request'],
    ['a string label', () => ({ assignment: task.assignment, answers: [{ label: 'x', answer: 'yes' }] }), 400, 'bad_request'],
  ])('%s', async (_what, payload, status, code) => {
    const r = await post(payload());
    expect(r.statusCode).toBe(status);
    expect(r.json()).toMatchObject({ error: code, message: expect.any(String) });
    expect(await answerCount(app)).toBe(0);
  });

  test('a task not leased to this rater', async () => {
    const r = await post({ assignment: task.assignment, answers: answersFor(task.labels) }, other);
    expect(r.statusCode).toBe(403);
    expect(await answerCount(app)).toBe(0);
  });

  test('a bad token, no token, a rater token on admin routes', async () => {
    for (const headers of [bearer('forged'), {}]) {
      const r = await app.inject({ method: 'GET', url: '/api/next', headers });
      expect(r.statusCode).toBe(401);
      expect(r.json().error).toBe('bad_token');
    }
    expect((await app.inject({ method: 'GET', url: '/api/progress', headers: bearer(tok) })).statusCode).toBe(401);
    expect((await app.inject({ method: 'POST', url: '/api/raters', headers: bearer(tok), payload: { name: 'x' } })).statusCode).toBe(401);
    expect((await app.inject({ method: 'GET', url: '/api/export?format=csv', headers: bearer(tok) })).statusCode).toBe(401);
  });

  test('an oversized body, malformed JSON, a blank rater name', async () => {
    const big = await post({ assignment: task.assignment, answers: answersFor(task.labels), pad: 'x'.repeat(5000) });
    expect(big.statusCode).toBe(413);
    expect(big.json().error).toBeDefined();
    const bad = await app.inject({ method: 'POST', url: '/api/answers', headers: { ...bearer(tok), 'content-type': 'application/json' }, payload: '{"assignment": ' });
    expect(bad.statusCode).toBe(400);
    const blank = await app.inject({ method: 'POST', url: '/api/raters', headers: admin(app), payload: { name: '   ' } });
    expect(blank.statusCode).toBe(400);
    expect(await answerCount(app)).toBe(0);
  });

  test('a double submit is refused; concurrent submits store the answers once', async () => {
    const payload = { assignment: task.assignment, answers: answersFor(task.labels) };
    const rs = await Promise.all(Array.from({ length: 8 }, () => post(payload)));
    expect(rs.map((r) => r.statusCode).sort()).toEqual([200, 409, 409, 409, 409, 409, 409, 409]);
    expect(await answerCount(app)).toBe(3);
    const again = await post(payload);
    expect(again.statusCode).toBe(409);
    expect(again.json().error).toBe('already_submitted');
  });

  test('images: only task images, by index', async () => {
    expect((await app.inject({ method: 'GET', url: '/images/999' })).statusCode).toBe(404);
    expect((await app.inject({ method: 'GET', url: '/images/..%2Fsynset.txt' })).statusCode).toBe(400);
    expect((await app.inject({ method: 'GET', url: '/examples/n01440764/0' })).statusCode).toBe(404);
  });
});
