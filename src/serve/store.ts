/**
 * The rating app's one SQLite file (better-sqlite3, WAL): tasks, raters,
 * leases (assignments), answers, gold truth and an audit log.
 *
 * Durability: WAL with synchronous=NORMAL. A committed transaction is in the
 * WAL file before the server acknowledges it, so killing the process (even
 * with SIGKILL) loses nothing acknowledged; only a power cut can lose the
 * last commits (use `sync: 'full'` for that, at a cost per answer).
 *
 * Uniqueness lives in the schema, not in code: one answer per (task, label,
 * rater), one assignment per (task, rater), so concurrent submits can never
 * store an answer twice.
 */
import { randomBytes } from 'node:crypto';
import Database from 'better-sqlite3';
import { ValidationError } from '../errors';
import type { GoldQuestion, ServeTask } from './task-file';

export type Db = Database.Database;

/** Assignment states. */
export const LEASED = 0;
export const SUBMITTED = 1;
export const EXPIRED = 2;

/** Answer values, in the order aggregate's default alphabet uses. */
export const ANSWERS = ['no', 'maybe', 'yes'] as const;
export type AnswerValue = (typeof ANSWERS)[number];

const SCHEMA = `
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS tasks (
  id INTEGER PRIMARY KEY,
  name TEXT NOT NULL UNIQUE,
  image INTEGER NOT NULL,
  labels TEXT NOT NULL,              -- JSON list of label indices
  gold INTEGER NOT NULL DEFAULT 0,   -- 1: holds gold questions (served at --gold-rate, to every rater)
  skipped INTEGER NOT NULL DEFAULT 0,-- 1: image missing (--allow-missing)
  target INTEGER NOT NULL,           -- raters wanted (--overlap, or adaptive)
  assigned INTEGER NOT NULL DEFAULT 0, -- live leases + submissions of unbanned raters
  done INTEGER NOT NULL DEFAULT 0    -- submissions of unbanned raters
);
CREATE INDEX IF NOT EXISTS tasks_queue ON tasks (gold, skipped, assigned, id);
CREATE INDEX IF NOT EXISTS tasks_image ON tasks (image);
CREATE TABLE IF NOT EXISTS raters (
  id INTEGER PRIMARY KEY,
  name TEXT NOT NULL,
  token TEXT NOT NULL UNIQUE,
  created_at INTEGER NOT NULL,
  served INTEGER NOT NULL DEFAULT 0, -- assignments handed out (drives the gold draw)
  banned_at INTEGER,
  ban_reason TEXT
);
CREATE TABLE IF NOT EXISTS assignments (
  id INTEGER PRIMARY KEY,
  token TEXT NOT NULL UNIQUE,
  task_id INTEGER NOT NULL REFERENCES tasks (id),
  rater_id INTEGER NOT NULL REFERENCES raters (id),
  state INTEGER NOT NULL,
  leased_at INTEGER NOT NULL,
  expires_at INTEGER NOT NULL,
  submitted_at INTEGER,
  ms INTEGER,
  UNIQUE (task_id, rater_id)
);
CREATE INDEX IF NOT EXISTS assignments_live ON assignments (state, expires_at);
CREATE INDEX IF NOT EXISTS assignments_rater ON assignments (rater_id, state);
CREATE TABLE IF NOT EXISTS answers (
  id INTEGER PRIMARY KEY,
  assignment_id INTEGER NOT NULL REFERENCES assignments (id),
  task_id INTEGER NOT NULL,
  rater_id INTEGER NOT NULL,
  label INTEGER NOT NULL,
  answer INTEGER NOT NULL CHECK (answer IN (0, 1, 2)),
  changed INTEGER,
  at INTEGER NOT NULL,
  UNIQUE (task_id, label, rater_id)
);
CREATE TABLE IF NOT EXISTS gold (
  task_id INTEGER NOT NULL REFERENCES tasks (id),
  label INTEGER NOT NULL,
  name TEXT NOT NULL,
  truth INTEGER NOT NULL,
  PRIMARY KEY (task_id, label)
);
CREATE TABLE IF NOT EXISTS audit (
  id INTEGER PRIMARY KEY,
  at INTEGER NOT NULL,
  rater_id INTEGER,
  event TEXT NOT NULL,
  detail TEXT NOT NULL
);
`;

export interface OpenOptions {
  /** 'normal' (default): safe against a killed process; 'full': also against power loss. */
  sync?: 'normal' | 'full';
  readonly?: boolean;
}

/** Opens (creating when missing) a ratings database. */
export function openDb(file: string, opts: OpenOptions = {}): Db {
  let db: Db;
  try {
    db = new Database(file, { readonly: opts.readonly ?? false, fileMustExist: opts.readonly ?? false });
  } catch (err) {
    throw new ValidationError(`cannot open the ratings database: ${(err as Error).message}`, file);
  }
  try {
    db.pragma('busy_timeout = 5000');
    if (!opts.readonly) {
      db.pragma('journal_mode = WAL');
      db.pragma(`synchronous = ${opts.sync === 'full' ? 'FULL' : 'NORMAL'}`);
      db.pragma('foreign_keys = ON');
      db.exec(SCHEMA);
    } else if (!db.prepare("SELECT 1 FROM sqlite_master WHERE name = 'answers'").get()) {
      throw new ValidationError('is not a realabel ratings database (no answers table)', file);
    }
  } catch (err) {
    db.close();
    if (err instanceof ValidationError) throw err;
    throw new ValidationError(`not a usable ratings database: ${(err as Error).message}`, file);
  }
  return db;
}

const statements = new WeakMap<Db, Map<string, Database.Statement>>();

/** A prepared statement, prepared once per connection (preparing costs more than running a point query). */
export function stmt(db: Db, sql: string): Database.Statement {
  let m = statements.get(db);
  if (!m) statements.set(db, (m = new Map()));
  let s = m.get(sql);
  if (!s) m.set(sql, (s = db.prepare(sql)));
  return s;
}

export function getMeta(db: Db, key: string): string | undefined {
  const row = stmt(db, 'SELECT value FROM meta WHERE key = ?').get(key) as { value: string } | undefined;
  return row?.value;
}

export function setMeta(db: Db, key: string, value: string): void {
  db.prepare('INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value').run(key, value);
}

export function newToken(): string {
  return randomBytes(24).toString('base64url');
}

/** The admin token, created on first use and kept in the database so a restart prints the same one. */
export function adminToken(db: Db): string {
  let token = getMeta(db, 'admin_token');
  if (!token) {
    token = newToken();
    setMeta(db, 'admin_token', token);
  }
  return token;
}

export function audit(db: Db, event: string, detail: unknown, raterId: number | null = null, at = Date.now()): void {
  db.prepare('INSERT INTO audit (at, rater_id, event, detail) VALUES (?, ?, ?, ?)').run(at, raterId, event, JSON.stringify(detail));
}

export interface ImportResult {
  /** Tasks added by this call (0 when the file was imported before). */
  added: number;
  total: number;
  goldQuestions: number;
}

/**
 * Imports a tasks file once: the same file again (same hash) is a no-op; a
 * different one is an error unless `add` (then its new tasks are added and a
 * task whose name exists must be identical).
 */
export function importTasks(db: Db, file: string, tasks: ServeTask[], hash: string, target: number, add: boolean): number {
  const hashes: string[] = JSON.parse(getMeta(db, 'tasks_hashes') ?? '[]');
  if (hashes.includes(hash)) return 0;
  if (hashes.length && !add) {
    throw new ValidationError('differs from the tasks already in the database (pass --add to add its tasks)', file);
  }
  const find = db.prepare('SELECT image, labels FROM tasks WHERE name = ?');
  const insert = db.prepare('INSERT INTO tasks (name, image, labels, target) VALUES (?, ?, ?, ?)');
  let added = 0;
  db.transaction(() => {
    for (const t of tasks) {
      const labels = JSON.stringify(t.labels);
      const old = find.get(t.name) as { image: number; labels: string } | undefined;
      if (old) {
        if (old.image !== t.image || old.labels !== labels) throw new ValidationError(`task '${t.name}' is already in the database with other labels`, file);
        continue;
      }
      insert.run(t.name, t.image, labels, target);
      added++;
    }
    setMeta(db, 'tasks_hashes', JSON.stringify([...hashes, hash]));
    audit(db, 'import', { file, hash, added });
  })();
  return added;
}

/**
 * Attaches gold truth to the tasks holding its questions; questions of
 * images without a task become new tasks (at most `maxLabels` labels each),
 * named like the others so a rater cannot tell them apart.
 */
export function importGold(db: Db, file: string, questions: GoldQuestion[], maxLabels = 8): number {
  const byImage = db.prepare('SELECT id, name, labels FROM tasks WHERE image = ? ORDER BY id');
  const insertTask = db.prepare('INSERT INTO tasks (name, image, labels, target, gold) VALUES (?, ?, ?, 0, 1)');
  const old = db.prepare('SELECT truth FROM gold WHERE task_id = ? AND label = ?');
  const insertGold = db.prepare('INSERT INTO gold (task_id, label, name, truth) VALUES (?, ?, ?, ?)');
  const markGold = db.prepare('UPDATE tasks SET gold = 1 WHERE id = ?');
  let added = 0;
  db.transaction(() => {
    const images = new Map<number, GoldQuestion[]>();
    for (const q of questions) images.set(q.image, [...(images.get(q.image) ?? []), q]);
    for (const [image, qs] of images) {
      const rows = byImage.all(image) as Array<{ id: number; name: string; labels: string }>;
      const owner = new Map<number, number>();
      for (const r of rows) for (const l of JSON.parse(r.labels) as number[]) owner.set(l, r.id);
      const orphans = qs.filter((q) => !owner.has(q.label)).map((q) => q.label).sort((a, b) => a - b);
      const names = new Set(rows.map((r) => r.name));
      let k = 0;
      for (let i = 0; i < orphans.length; i += maxLabels) {
        while (names.has(`${image}-${k}`)) k++;
        const name = `${image}-${k}`;
        names.add(name);
        const chunk = orphans.slice(i, i + maxLabels);
        const id = Number(insertTask.run(name, image, JSON.stringify(chunk)).lastInsertRowid);
        for (const l of chunk) owner.set(l, id);
      }
      for (const q of qs) {
        const taskId = owner.get(q.label)!;
        const prev = old.get(taskId, q.label) as { truth: number } | undefined;
        if (prev) {
          if (prev.truth !== q.truth) throw new ValidationError(`gold question ${q.name} already has another truth in the database`, file);
          continue;
        }
        insertGold.run(taskId, q.label, q.name, q.truth);
        markGold.run(taskId);
        added++;
      }
    }
    if (added) audit(db, 'import-gold', { file, added });
  })();
  return added;
}

export interface Rater {
  id: number;
  name: string;
  token: string;
  served: number;
  banned_at: number | null;
}

export function addRater(db: Db, name: string, at = Date.now()): Rater {
  const clean = name.trim();
  if (clean === '' || clean.length > 200) throw new ValidationError('a rater name must be 1 to 200 characters');
  const token = newToken();
  const id = Number(db.prepare('INSERT INTO raters (name, token, created_at) VALUES (?, ?, ?)').run(clean, token, at).lastInsertRowid);
  audit(db, 'rater-added', { name: clean }, id, at);
  return { id, name: clean, token, served: 0, banned_at: null };
}

export function raterByToken(db: Db, token: string): Rater | undefined {
  return stmt(db, 'SELECT id, name, token, served, banned_at FROM raters WHERE token = ?').get(token) as Rater | undefined;
}
