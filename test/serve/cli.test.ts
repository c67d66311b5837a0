/**
 * `realabel serve` as a process: start with --json --port 0, add raters and
 * export through the CLI, and kill -9 under load without losing an
 * acknowledged answer. Every process started here is stopped by its PID.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as readline from 'node:readline';
import Database from 'better-sqlite3';
import { tmpDir } from '../helpers/tmp';
import { makeProject, type Project } from './fixture';

const BIN = path.resolve(__dirname, '..', '..', 'bin', 'realabel.js');
const dir = tmpDir('serve-cli-');
let project: Project;
const children: ChildProcess[] = [];

beforeAll(async () => {
  project = await makeProject(dir, 200, 0);
});
afterAll(() => {
  for (const c of children) if (c.exitCode === null && c.signalCode === null) process.kill(c.pid!, 'SIGKILL');
});

function cli(args: string[]) {
  return spawnSync(process.execPath, [BIN, ...args], { encoding: 'utf8' });
}

/** Starts the server; resolves with its first stdout line (the --json line). */
async function start(db: string, extra: string[] = []): Promise<{ child: ChildProcess; url: string; admin: string }> {
  const child = spawn(process.execPath, [BIN, 'serve', '--tasks', project.tasks, '--images', project.images, '--synsets', project.synsets, '--db', db, '--port', '0', '--json', ...extra], { stdio: ['ignore', 'pipe', 'pipe'] });
  children.push(child);
  let stderr = '';
  child.stderr!.on('data', (d) => (stderr += d));
  const line = await new Promise<string>((resolve, reject) => {
    readline.createInterface({ input: child.stdout! }).once('line', resolve);
    child.once('exit', (code) => reject(new Error(`serve exited with ${code}: ${stderr}`)));
  });
  const info = JSON.parse(line);
  return { child, url: info.url, admin: info.admin_token };
}

function stopped(child: ChildProcess): Promise<void> {
  return new Promise((resolve) => (child.exitCode !== null || child.signalCode !== null ? resolve() : child.once('exit', () => resolve())));
}

test('serve --json prints url and admin token; raters add and export work on its database; SIGTERM stops it', async () => {
  const db = path.join(dir, 'cli.sqlite');
  const { child, url, admin } = await start(db, ['--overlap', '1']);
  expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
  const add = cli(['serve', 'raters', 'add', 'alice', '--db', db, '--json']);
  expect(add.status).toBe(0);
  const rater = JSON.parse(add.stdout);
  expect(rater.url).toBe(`${url}/rate?token=${rater.token}`);
  const auth = { authorization: `Bearer ${rater.token}` };
  const task: any = await (await fetch(`${url}/api/next`, { headers: auth })).json();
  const r = await fetch(`${url}/api/answers`, {
    method: 'POST', headers: { ...auth, 'content-type': 'application/json' },
    body: JSON.stringify({ assignment: task.assignment, answers: task.labels.map((l: { label: number }) => ({ label: l.label, answer: 'yes' })) }),
  });
  expect(await r.json()).toEqual({ stored: 3 });
  expect((await fetch(`${url}/api/progress`, { headers: { authorization: `Bearer ${admin}` } })).status).toBe(200);
  const out = path.join(dir, 'cli.csv');
  const ex = cli(['serve', 'export', '--db', db, '--format', 'csv', '--out', out, '--json']);
  expect(ex.status).toBe(0);
  expect(JSON.parse(ex.stdout)).toMatchObject({ answers: 3, questions: 3, raters: 1 });
  expect(fs.readFileSync(out, 'utf8').trim().split('\n')).toHaveLength(4);
  process.kill(child.pid!, 'SIGTERM');
  await stopped(child);
  expect(child.exitCode).toBe(0);
});

test('start-up errors are one line naming the file, exit 1', () => {
  const r = cli(['serve', '--tasks', project.tasks, '--images', path.join(dir, 'nope'), '--synsets', project.synsets, '--db', path.join(dir, 'x.sqlite'), '--port', '0']);
  expect(r.status).toBe(1);
  expect(r.stderr).toMatch(/^realabel: .*nope/);
  const lease = cli(['serve', '--lease', 'soon']);
  expect(lease.status).toBe(1);
  expect(lease.stderr).toMatch(/--lease must be a duration/);
});

test('kill -9 under load loses no acknowledged answer', async () => {
  const db = path.join(dir, 'crash.sqlite');
  const { child, url, admin } = await start(db, ['--overlap', '5']);
  const tokens: string[] = [];
  for (let i = 0; i < 6; i++) {
    const r = await fetch(`${url}/api/raters`, { method: 'POST', headers: { authorization: `Bearer ${admin}`, 'content-type': 'application/json' }, body: JSON.stringify({ name: `r${i}` }) });
    tokens.push(((await r.json()) as { token: string }).token);
  }
  const acknowledged: Array<{ token: string; assignment: string; stored: number }> = [];
  let killed = false;
  const KILL_AFTER = 150;
  const loop = async (token: string) => {
    const auth = { authorization: `Bearer ${token}` };
    while (!killed) {
      try {
        const t = await fetch(`${url}/api/next`, { headers: auth });
        if (t.status !== 200) return;
        const task: any = await t.json();
        const r = await fetch(`${url}/api/answers`, {
          method: 'POST', headers: { ...auth, 'content-type': 'application/json' },
          body: JSON.stringify({ assignment: task.assignment, answers: task.labels.map((l: { label: number }) => ({ label: l.label, answer: 'no' })) }),
        });
        if (r.status === 200) {
          acknowledged.push({ token, assignment: task.assignment, stored: ((await r.json()) as { stored: number }).stored });
          if (acknowledged.length >= KILL_AFTER && !killed) {
            killed = true;
            process.kill(child.pid!, 'SIGKILL');
          }
        }
      } catch {
        return; // the server is gone: requests in flight fail, unacknowledged
      }
    }
  };
  // Several requests in flight at the moment of the kill.
  await Promise.all(tokens.flatMap((t) => [loop(t), loop(t)]));
  await stopped(child);
  expect(child.signalCode).toBe('SIGKILL');
  expect(acknowledged.length).toBeGreaterThanOrEqual(KILL_AFTER);
  const conn = new Database(db, { readonly: true });
  try {
    const find = conn.prepare('SELECT COUNT(*) AS n FROM answers a JOIN assignments s ON s.id = a.assignment_id WHERE s.token = ? AND s.state = 1');
    const lost = acknowledged.filter((a) => (find.get(a.assignment) as { n: number }).n !== a.stored);
    expect(lost).toEqual([]);
    const dupes = conn.prepare('SELECT COUNT(*) AS n FROM (SELECT task_id, label, rater_id FROM answers GROUP BY 1, 2, 3 HAVING COUNT(*) > 1)').get() as { n: number };
    expect(dupes.n).toBe(0);
  } finally {
    conn.close();
  }
}, 180_000);
