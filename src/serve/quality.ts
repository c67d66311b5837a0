/**
 * Rater quality and current posteriors for the admin page and adaptive
 * re-rating: gold accuracy and confusion per rater, median time per label,
 * Fleiss' kappa and pairwise agreement, and the posterior of every question
 * from realabel's own aggregation (gold-calibrated when raters have gold
 * answers of both truths, else Dawid–Skene).
 *
 * `computeQuality(dbFile)` reads its own read-only connection (WAL lets it
 * read while the server writes); QualityService runs it in a worker thread,
 * so the event loop only ever applies the result.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { Worker } from 'node:worker_threads';
import { aggregate } from '../aggregate/aggregate';
import { agreement, median } from './agreement';
import { ANSWERS, openDb, type Db } from './store';

export interface AdaptiveOptions {
  min: number;
  max: number;
  /** A posterior inside [lo, hi] asks for one more rater. */
  band: [number, number];
}

export interface RaterQuality {
  id: number;
  name: string;
  banned: boolean;
  answers: number;
  gold_answers: number;
  gold_correct: number;
  gold_accuracy: number | null;
  /** [truth absent, present] × [no, maybe, yes]. */
  gold_confusion: number[][];
  median_ms_per_label: number | null;
  /** Share of this rater's answer pairs that agree with another rater on the same question. */
  agreement: number | null;
}

export interface Quality {
  computed_at: string;
  answers: number;
  raters: RaterQuality[];
  fleiss_kappa: number | null;
  pairwise_agreement: number | null;
  method: 'gold' | 'ds' | null;
  posteriors: {
    questions: number;
    /** Questions at or above 0.8 (labels of the ReaL threshold). */
    present: number;
    uncertain: number;
    histogram: number[];
    /** The least certain questions, posterior closest to 0.5 first. */
    least_certain: Array<{ question: string; task: string; posterior: number }>;
  };
  /** Adaptive: tasks whose posterior has a pair inside the band (task ids). */
  in_band_tasks: number[];
}

interface AnswerRow {
  task_id: number;
  label: number;
  rater_id: number;
  answer: number;
  image: number;
  task: string;
  truth: number | null;
}

export async function computeQuality(dbFile: string, adaptive?: AdaptiveOptions): Promise<Quality> {
  const db = openDb(dbFile, { readonly: true });
  try {
    return await qualityOf(db, adaptive);
  } finally {
    db.close();
  }
}

export async function qualityOf(db: Db, adaptive?: AdaptiveOptions): Promise<Quality> {
  // One read transaction: a consistent snapshot while the server keeps writing.
  const { rows, raters, timings } = db.transaction(() => ({
    rows: db.prepare(
      `SELECT a.task_id, a.label, a.rater_id, a.answer, t.image, t.name AS task, g.truth
       FROM answers a JOIN tasks t ON t.id = a.task_id LEFT JOIN gold g ON g.task_id = a.task_id AND g.label = a.label ORDER BY a.id`,
    ).all() as AnswerRow[],
    raters: db.prepare('SELECT id, name, banned_at FROM raters ORDER BY id').all() as Array<{ id: number; name: string; banned_at: number | null }>,
    timings: db.prepare(
      `SELECT s.rater_id, s.ms, json_array_length(t.labels) AS n FROM assignments s JOIN tasks t ON t.id = s.task_id WHERE s.state = 1 AND s.ms IS NOT NULL`,
    ).all() as Array<{ rater_id: number; ms: number; n: number }>,
  }))();
  const index = new Map(raters.map((r, i) => [r.id, i]));
  const per = raters.map((r) => ({
    id: r.id, name: r.name, banned: r.banned_at !== null, answers: 0, gold_answers: 0, gold_correct: 0,
    gold_accuracy: null as number | null, gold_confusion: [[0, 0, 0], [0, 0, 0]], median_ms_per_label: null as number | null, agreement: null as number | null,
  }));
  const ms: number[][] = raters.map(() => []);
  for (const t of timings) ms[index.get(t.rater_id)!].push(t.ms / Math.max(1, t.n));
  for (const r of rows) {
    const p = per[index.get(r.rater_id)!];
    p.answers++;
    if (r.truth !== null) {
      p.gold_answers++;
      p.gold_confusion[r.truth][r.answer]++;
      if ((r.truth === 1 && r.answer === 2) || (r.truth === 0 && r.answer === 0)) p.gold_correct++;
    }
  }
  per.forEach((p, i) => {
    p.gold_accuracy = p.gold_answers ? p.gold_correct / p.gold_answers : null;
    p.median_ms_per_label = median(ms[i]);
  });

  // Main questions from raters in good standing: what exports and posteriors use.
  const keep = rows.filter((r) => r.truth === null && !per[index.get(r.rater_id)!].banned);
  const gold = rows.filter((r) => r.truth !== null && !per[index.get(r.rater_id)!].banned);
  const main = compact(keep, index);
  const agr = agreement({ ...main, rater: main.worker, numRaters: raters.length, numAnswers: ANSWERS.length });
  agr.perRater.forEach((a, i) => (per[i].agreement = a.pairs ? a.agree / a.pairs : null));

  const post = await posteriors(main, gold, index, raters.length);
  const histogram = new Array(10).fill(0);
  const order: number[] = [];
  let present = 0;
  let uncertain = 0;
  const band = adaptive?.band ?? [0.2, 0.8];
  const inBand = new Set<number>();
  if (post.posterior) {
    post.posterior.forEach((p, q) => {
      histogram[Math.min(9, Math.floor(p * 10))]++;
      if (p >= 0.8) present++;
      if (p >= band[0] && p <= band[1]) {
        uncertain++;
        inBand.add(main.taskIds[q]);
      }
      order.push(q);
    });
    order.sort((a, b) => Math.abs(post.posterior![a] - 0.5) - Math.abs(post.posterior![b] - 0.5) || a - b);
  }
  return {
    computed_at: new Date().toISOString(),
    answers: rows.length,
    raters: per,
    fleiss_kappa: agr.fleissKappa,
    pairwise_agreement: agr.pairwise,
    method: post.method,
    posteriors: {
      questions: main.numQuestions,
      present,
      uncertain,
      histogram,
      least_certain: order.slice(0, 50).map((q) => ({ question: main.tasks[q], task: main.taskNames[q], posterior: post.posterior![q] })),
    },
    in_band_tasks: [...inBand].sort((a, b) => a - b),
  };
}

interface Compact {
  question: Int32Array;
  worker: Int32Array;
  answer: Int32Array;
  numQuestions: number;
  tasks: string[];
  taskIds: number[];
  taskNames: string[];
}

/** Answers as the kernels' compact arrays; questions named IMAGE:LABEL in first-answer order. */
function compact(rows: AnswerRow[], raterIndex: Map<number, number>): Compact {
  const q = new Map<string, number>();
  const tasks: string[] = [];
  const taskIds: number[] = [];
  const taskNames: string[] = [];
  const question = new Int32Array(rows.length);
  const worker = new Int32Array(rows.length);
  const answer = new Int32Array(rows.length);
  rows.forEach((r, i) => {
    const id = `${r.image}:${r.label}`;
    let k = q.get(id);
    if (k === undefined) {
      k = q.size;
      q.set(id, k);
      tasks.push(id);
      taskIds.push(r.task_id);
      taskNames.push(r.task);
    }
    question[i] = k;
    worker[i] = raterIndex.get(r.rater_id)!;
    answer[i] = r.answer;
  });
  return { question, worker, answer, numQuestions: q.size, tasks, taskIds, taskNames };
}

/** Gold-calibrated scoring when gold answers cover both truths, else Dawid–Skene; null without answers. */
async function posteriors(main: Compact, goldRows: AnswerRow[], raterIndex: Map<number, number>, numWorkers: number) {
  if (main.numQuestions === 0) return { method: null, posterior: null };
  const workers = Array.from({ length: numWorkers }, (_, i) => String(i));
  const answers = { question: main.question, worker: main.worker, answer: main.answer, numQuestions: main.numQuestions, numWorkers, tasks: main.tasks, workers };
  const g = compact(goldRows, raterIndex);
  const truth = new Int32Array(g.numQuestions);
  goldRows.forEach((r, i) => (truth[g.question[i]] = r.truth!));
  const both = truth.includes(0) && truth.includes(1);
  if (both) {
    const r = await aggregate({
      answers,
      method: 'gold',
      goldAnswers: { question: g.question, worker: g.worker, answer: g.answer, numQuestions: g.numQuestions, numWorkers, tasks: g.tasks, workers },
      goldTruth: truth,
    });
    return { method: 'gold' as const, posterior: r.posterior };
  }
  const r = await aggregate({ answers, method: 'ds', smoothing: 0.01 });
  return { method: 'ds' as const, posterior: r.posterior };
}

/** The compiled worker (workers load from dist/, also under ts-jest). */
const WORKER = path.resolve(__dirname, '..', '..', 'dist', 'serve', 'quality-worker.js');

/**
 * Keeps the latest quality snapshot, recomputed in a worker thread at most
 * once at a time. The admin page asks for it (a snapshot younger than
 * `maxAgeMs` is reused); with adaptive re-rating, answers also schedule a
 * refresh (poke), spaced by at least four times the last computation, and
 * complete tasks still inside the band get a higher target.
 */
export class QualityService {
  private last: Quality | null = null;
  private lastAt = 0;
  private lastMs = 0;
  private running: Promise<Quality> | null = null;
  private dirty = true;
  private timer: NodeJS.Timeout | null = null;
  private closed = false;
  private worker: Worker | null = null;

  constructor(private readonly dbFile: string, private readonly db: Db, private readonly adaptive?: AdaptiveOptions, private readonly delayMs = 1000, private readonly maxAgeMs = 2000) {}

  /** Answers changed: with adaptive re-rating, recompute soon. */
  poke(): void {
    this.dirty = true;
    if (!this.adaptive || this.timer || this.closed || this.delayMs <= 0) return;
    this.timer = setTimeout(() => {
      this.timer = null;
      if (this.dirty) this.refresh().catch(() => undefined);
    }, Math.max(this.delayMs, 4 * this.lastMs));
    this.timer.unref();
  }

  /** The latest snapshot: reused while nothing changed or while it is young, else recomputed. */
  async latest(): Promise<Quality> {
    if (this.last && (!this.dirty || Date.now() - this.lastAt < this.maxAgeMs)) return this.last;
    return this.refresh();
  }

  /** Recomputes (joining a run in progress) and applies adaptive targets. */
  refresh(): Promise<Quality> {
    if (this.running) return this.running;
    this.dirty = false;
    const started = Date.now();
    this.running = this.run()
      .then((q) => {
        this.last = q;
        this.lastAt = Date.now();
        this.lastMs = this.lastAt - started;
        if (this.adaptive && !this.closed) this.raiseTargets(q.in_band_tasks);
        return q;
      })
      .finally(() => {
        this.running = null;
      });
    return this.running;
  }

  private run(): Promise<Quality> {
    if (!fs.existsSync(WORKER)) return computeQuality(this.dbFile, this.adaptive); // not built: same code, inline
    return new Promise((resolve, reject) => {
      const w = new Worker(WORKER, { workerData: { dbFile: this.dbFile, adaptive: this.adaptive } });
      this.worker = w;
      w.once('message', (m: { ok: boolean; quality?: Quality; error?: string }) => (m.ok ? resolve(m.quality!) : reject(new Error(m.error))));
      w.once('error', reject);
      w.once('exit', (code) => {
        this.worker = null;
        if (code !== 0) reject(new Error(`quality worker exited with code ${code}`));
      });
    });
  }

  /** Complete tasks with a pair inside the band get one more rater, up to max. */
  private raiseTargets(taskIds: number[]): number {
    const raise = this.db.prepare('UPDATE tasks SET target = target + 1 WHERE id = ? AND gold = 0 AND done >= target AND target < ?');
    let n = 0;
    this.db.transaction(() => {
      for (const id of taskIds) n += raise.run(id, this.adaptive!.max).changes;
    })();
    return n;
  }

  async close(): Promise<void> {
    this.closed = true;
    if (this.timer) clearTimeout(this.timer);
    if (this.running) await this.running.catch(() => undefined);
    if (this.worker) await this.worker.terminate();
  }
}
