/**
 * Who rates what next, and storing what they answered.
 *
 * - Each task gets `target` distinct raters (--overlap, or adaptive); a
 *   rater never gets a task twice (UNIQUE (task, rater) in the schema).
 * - Least-answered tasks first: the queue is the index (gold, skipped,
 *   assigned, id), so the pick is the first row this rater has not had.
 * - A lease expires after --lease; the sweep at each request gives its slot
 *   back. The same rater may be leased the task again (the row is renewed
 *   with a new token, so the old token is unknown from then on).
 * - Gold tasks are drawn with probability --gold-rate per request, from a
 *   hash of the rater's token and request count: deterministic (tests,
 *   restarts) yet without a pattern a rater could spot.
 * Every step runs in one SQLite transaction, so concurrent requests never
 * hand out more than `target` leases or store an answer twice.
 */
import { createHash } from 'node:crypto';
import { ANSWERS, EXPIRED, LEASED, SUBMITTED, audit, newToken, type Db, type Rater } from './store';

/** A request the server refuses: an HTTP status and a JSON error. */
export class RequestError extends Error {
  constructor(readonly status: number, readonly code: string, message: string) {
    super(message);
  }
}

export interface AssignOptions {
  leaseMs: number;
  goldRate: number;
  /** Stop assigning to a rater whose gold accuracy is below `accuracy` after `after` gold answers. */
  banBelow?: { accuracy: number; after: number };
}

export interface Lease {
  assignment: string;
  taskId: number;
  task: string;
  image: number;
  labels: number[];
  expiresAt: number;
}

export interface SubmittedAnswer {
  label: number;
  answer: (typeof ANSWERS)[number];
  changed?: boolean;
}

interface AssignmentRow {
  id: number;
  task_id: number;
  rater_id: number;
  state: number;
  expires_at: number;
  labels: string;
  gold: number;
}

/** The uniform draw in [0, 1) of a rater's n-th request. */
export function goldDraw(token: string, n: number): number {
  return createHash('sha256').update(`${token}:${n}`).digest().readUInt32BE(0) / 2 ** 32;
}

export class Assigner {
  private readonly q;

  constructor(private readonly db: Db, private readonly opts: AssignOptions) {
    const notMine = 'NOT EXISTS (SELECT 1 FROM assignments a WHERE a.task_id = t.id AND a.rater_id = ? AND a.state != 2)';
    this.q = {
      dueLeases: db.prepare('SELECT id, task_id FROM assignments WHERE state = 0 AND expires_at <= ?'),
      expire: db.prepare('UPDATE assignments SET state = 2 WHERE id = ?'),
      release: db.prepare('UPDATE tasks SET assigned = assigned - 1 WHERE id = ?'),
      live: db.prepare('SELECT a.token, a.task_id, a.expires_at FROM assignments a WHERE a.rater_id = ? AND a.state = 0 ORDER BY a.id LIMIT 1'),
      pickMain: db.prepare(`SELECT id FROM tasks t WHERE gold = 0 AND skipped = 0 AND assigned < target AND ${notMine} ORDER BY assigned, id LIMIT 1`),
      pickGold: db.prepare(`SELECT id FROM tasks t WHERE gold = 1 AND skipped = 0 AND ${notMine} ORDER BY assigned, id LIMIT 1`),
      lease: db.prepare(
        `INSERT INTO assignments (token, task_id, rater_id, state, leased_at, expires_at) VALUES (?, ?, ?, 0, ?, ?)
         ON CONFLICT (task_id, rater_id) DO UPDATE SET token = excluded.token, state = 0, leased_at = excluded.leased_at, expires_at = excluded.expires_at`,
      ),
      take: db.prepare('UPDATE tasks SET assigned = assigned + 1 WHERE id = ?'),
      served: db.prepare('UPDATE raters SET served = served + 1 WHERE id = ?'),
      task: db.prepare('SELECT id, name, image, labels FROM tasks WHERE id = ?'),
      rater: db.prepare('SELECT id, name, token, served, banned_at FROM raters WHERE id = ?'),
      assignment: db.prepare('SELECT a.id, a.task_id, a.rater_id, a.state, a.expires_at, t.labels, t.gold FROM assignments a JOIN tasks t ON t.id = a.task_id WHERE a.token = ?'),
      answer: db.prepare('INSERT INTO answers (assignment_id, task_id, rater_id, label, answer, changed, at) VALUES (?, ?, ?, ?, ?, ?, ?)'),
      submitted: db.prepare('UPDATE assignments SET state = 1, submitted_at = ?, ms = ? WHERE id = ?'),
      finish: db.prepare('UPDATE tasks SET done = done + 1 WHERE id = ?'),
      goldScore: db.prepare(
        `SELECT COUNT(*) AS n, SUM(CASE WHEN (g.truth = 1 AND a.answer = 2) OR (g.truth = 0 AND a.answer = 0) THEN 1 ELSE 0 END) AS correct
         FROM answers a JOIN gold g ON g.task_id = a.task_id AND g.label = a.label WHERE a.rater_id = ?`,
      ),
      ban: db.prepare('UPDATE raters SET banned_at = ?, ban_reason = ? WHERE id = ? AND banned_at IS NULL'),
      raterLeases: db.prepare('SELECT id, task_id, state FROM assignments WHERE rater_id = ? AND state IN (0, 1)'),
      undo: db.prepare('UPDATE tasks SET assigned = assigned - 1, done = done - ? WHERE id = ?'),
    };
  }

  /** Gives expired leases back to the queue. */
  sweep(now: number): number {
    const due = this.q.dueLeases.all(now) as Array<{ id: number; task_id: number }>;
    for (const d of due) {
      this.q.expire.run(d.id);
      this.q.release.run(d.task_id);
    }
    return due.length;
  }

  /** The rater's next task (their live lease first), or null when nothing is left for them. */
  next(rater: Rater, now = Date.now()): Lease | null {
    return this.db.transaction(() => {
      this.sweep(now);
      const r = this.q.rater.get(rater.id) as Rater;
      if (r.banned_at !== null) return null;
      const live = this.q.live.get(r.id) as { token: string; task_id: number; expires_at: number } | undefined;
      if (live) return this.describe(live.token, live.task_id, live.expires_at);
      const main = this.q.pickMain.get(r.id) as { id: number } | undefined;
      if (!main) return null; // gold is only mixed into a stream, never served alone
      let taskId = main.id;
      if (this.opts.goldRate > 0 && goldDraw(r.token, r.served) < this.opts.goldRate) {
        const gold = this.q.pickGold.get(r.id) as { id: number } | undefined;
        if (gold) taskId = gold.id;
      }
      const token = newToken();
      const expiresAt = now + this.opts.leaseMs;
      this.q.lease.run(token, taskId, r.id, now, expiresAt);
      this.q.take.run(taskId);
      this.q.served.run(r.id);
      return this.describe(token, taskId, expiresAt);
    }).immediate();
  }

  private describe(token: string, taskId: number, expiresAt: number): Lease {
    const t = this.q.task.get(taskId) as { id: number; name: string; image: number; labels: string };
    return { assignment: token, taskId, task: t.name, image: t.image, labels: JSON.parse(t.labels), expiresAt };
  }

  /**
   * Stores a lease's answers (one per label of the task, each once) and
   * closes it. Anything wrong throws a RequestError before a row is written.
   */
  submit(rater: Rater, assignment: string, answers: SubmittedAnswer[], ms: number | undefined, now = Date.now()): { stored: number; gold: boolean } {
    const result = this.db.transaction(() => {
      const a = this.q.assignment.get(assignment) as AssignmentRow | undefined;
      if (!a) throw new RequestError(404, 'unknown_assignment', 'assignment: unknown (never issued, or replaced by a newer lease)');
      if (a.rater_id !== rater.id) throw new RequestError(403, 'not_your_assignment', 'assignment: leased to another rater');
      if (a.state === SUBMITTED) throw new RequestError(409, 'already_submitted', 'assignment: already submitted');
      if (a.state === EXPIRED || a.expires_at <= now) throw new RequestError(410, 'expired', 'assignment: the lease has expired; ask /api/next again');
      checkAnswers(JSON.parse(a.labels) as number[], answers);
      for (const x of answers) {
        this.q.answer.run(a.id, a.task_id, rater.id, x.label, ANSWERS.indexOf(x.answer), x.changed === undefined ? null : x.changed ? 1 : 0, now);
      }
      this.q.submitted.run(now, ms ?? null, a.id);
      this.q.finish.run(a.task_id);
      return { stored: answers.length, gold: a.gold === 1 };
    }).immediate();
    if (result.gold && this.opts.banBelow) this.checkBan(rater.id, now);
    return result;
  }

  /** Gold accuracy (yes on present, no on absent; maybe counts as wrong) of a rater. */
  goldAccuracy(raterId: number): { n: number; correct: number } {
    const r = this.q.goldScore.get(raterId) as { n: number; correct: number | null };
    return { n: r.n, correct: r.correct ?? 0 };
  }

  /**
   * --ban-below: stops assigning to the rater. Their answers stay (marked by
   * raters.banned_at, left out of exports unless asked for) and the tasks
   * they did go back to the queue for someone else; an audit row says why.
   */
  private checkBan(raterId: number, now: number): void {
    const rule = this.opts.banBelow!;
    const { n, correct } = this.goldAccuracy(raterId);
    if (n < rule.after || correct / n >= rule.accuracy) return;
    this.db.transaction(() => {
      const reason = `gold accuracy ${correct}/${n} below ${rule.accuracy}`;
      if (this.q.ban.run(now, reason, raterId).changes === 0) return;
      for (const l of this.q.raterLeases.all(raterId) as Array<{ id: number; task_id: number; state: number }>) {
        this.q.undo.run(l.state === SUBMITTED ? 1 : 0, l.task_id);
        if (l.state === LEASED) this.q.expire.run(l.id);
      }
      audit(this.db, 'banned', { reason, gold_answers: n, correct }, raterId, now);
    }).immediate();
  }
}

/** Every label of the task answered exactly once, with a known value. */
function checkAnswers(labels: number[], answers: SubmittedAnswer[]): void {
  const want = new Set(labels);
  const seen = new Set<number>();
  answers.forEach((x, i) => {
    if (!want.has(x.label)) throw new RequestError(400, 'bad_label', `answers[${i}].label: ${x.label} is not a label of this task`);
    if (seen.has(x.label)) throw new RequestError(400, 'duplicate_label', `answers[${i}].label: ${x.label} is answered twice`);
    if (!ANSWERS.includes(x.answer)) throw new RequestError(400, 'bad_answer', `answers[${i}].answer: must be yes, maybe or no`);
    seen.add(x.label);
  });
  const missing = labels.filter((l) => !seen.has(l));
  if (missing.length) throw new RequestError(400, 'missing_labels', `answers: label${missing.length > 1 ? 's' : ''} ${missing.join(', ')} not answered`);
}
