/**
 * `createRatingServer(options)`: the rating app as a fastify instance, for
 * `realabel serve` or for embedding in a Node service. Start-up reads and
 * checks every input (tasks, images, synsets, gold), imports the tasks once
 * into the database and resumes whatever is already there.
 */
import Fastify, { type FastifyInstance } from 'fastify';
import { UsageError, ValidationError } from '../errors';
import { requirePackages } from '../util/optional';
import { Assigner } from './assign';
import { ImageCache, listExamples } from './images';
import { QualityService, type AdaptiveOptions } from './quality';
import { registerRoutes } from './routes';
import { adminToken, audit, getMeta, importGold, importTasks, openDb, setMeta, type Db } from './store';
import { imageResolver, labelInfos, missingImages, readGoldQuestions, readTasksFile, type LabelInfo } from './task-file';

export interface RatingServerOptions {
  /** Database file (created when missing); a restart on it resumes. */
  db: string;
  /** Tasks JSONL (`realabel tasks`); optional when the database has tasks already. */
  tasks?: string;
  /** Add a tasks file that differs from the one imported before. */
  add?: boolean;
  images: string;
  /** Image i is line i of this file (relative to `images`); default ILSVRC2012_val_%08d.JPEG of i + 1. */
  imageList?: string;
  /** synset.txt: names of the labels (synonyms and glosses come from WordNet 3.0). */
  synsets: string;
  /** Expert truth: golden.npz layout, or a task,label / task,worker,label table with IMAGE:LABEL ids. */
  gold?: string;
  /** Raters per task (default 5). */
  overlap?: number;
  /** Share of requests answered with a gold task (default 0.1 with gold, else 0). */
  goldRate?: number;
  /** Lease length in ms (default 10 minutes). */
  leaseMs?: number;
  /** 'none': every label must be answered; 'no': No pre-selected (the paper). */
  defaultAnswer?: 'none' | 'no';
  /** Skip tasks whose image is missing instead of failing. */
  allowMissing?: boolean;
  /** Example images: DIR/<wnid>/*. */
  examples?: string;
  banBelow?: { accuracy: number; after: number };
  adaptive?: AdaptiveOptions;
  /** Base of invite links (default: the server's own address once listening). */
  publicUrl?: string;
  /** Request body limit in bytes (default 64 KiB). */
  bodyLimit?: number;
  sync?: 'normal' | 'full';
  /** Quality and posteriors are recomputed this long after answers change (default 1000 ms; 0: only on request). */
  qualityDelayMs?: number;
  /** Clock (tests). */
  now?: () => number;
  logger?: boolean;
}

export interface RatingContext {
  db: Db;
  /** The database file (exports and quality snapshots read it from worker threads). */
  dbFile: string;
  assigner: Assigner;
  adminToken: string;
  labels: LabelInfo[];
  images: ImageCache;
  resolveImage: (image: number) => string | undefined;
  examples: Map<string, string[]>;
  defaultAnswer: 'none' | 'no';
  quality: QualityService;
  now: () => number;
  /** Tasks left out because their image is missing. */
  skipped: number[];
  publicUrl?: string;
}

declare module 'fastify' {
  interface FastifyInstance {
    realabel: RatingContext;
  }
}

export const DEFAULTS = { overlap: 5, goldRate: 0.1, leaseMs: 10 * 60_000, bodyLimit: 64 * 1024 };

function checkOptions(o: RatingServerOptions): void {
  const int = (name: string, v: number | undefined, lo: number, hi: number) => {
    if (v !== undefined && !(Number.isInteger(v) && v >= lo && v <= hi)) throw new UsageError(`${name} must be an integer in [${lo}, ${hi}], got ${v}`);
  };
  int('overlap', o.overlap, 1, 1000);
  int('leaseMs', o.leaseMs, 1, 2 ** 31 - 1);
  int('bodyLimit', o.bodyLimit, 1024, 2 ** 30);
  if (o.goldRate !== undefined && !(o.goldRate >= 0 && o.goldRate <= 1)) throw new UsageError(`goldRate must be in [0, 1], got ${o.goldRate}`);
  if (o.goldRate && !o.gold) throw new UsageError('--gold-rate needs --gold');
  if (o.defaultAnswer !== undefined && o.defaultAnswer !== 'none' && o.defaultAnswer !== 'no') throw new UsageError(`defaultAnswer must be none or no, got ${o.defaultAnswer}`);
  if (o.banBelow && !o.gold) throw new UsageError('--ban-below needs --gold');
  if (o.adaptive && o.adaptive.min > o.adaptive.max) throw new UsageError('--adaptive: min must be <= max');
}

/** Reads inputs, opens and fills the database; throws before listening when anything is wrong. */
async function prepare(o: RatingServerOptions, db: Db): Promise<{ labels: LabelInfo[]; skipped: number[] }> {
  const labels = labelInfos(o.synsets);
  const resolve = imageResolver(o.images, o.imageList);
  const overlap = o.adaptive ? o.adaptive.min : o.overlap ?? DEFAULTS.overlap;
  if (o.tasks) {
    const { tasks, hash } = readTasksFile(o.tasks);
    for (const t of tasks) {
      const bad = t.labels.find((l) => l >= labels.length);
      if (bad !== undefined) throw new ValidationError(`task '${t.name}': label ${bad} is beyond the ${labels.length} classes of ${o.synsets}`, o.tasks);
    }
    importTasks(db, o.tasks, tasks, hash, overlap, o.add ?? false);
  } else if (!getMeta(db, 'tasks_hashes')) {
    throw new UsageError(`${o.db} holds no tasks yet: pass --tasks`);
  }
  if (o.gold) {
    const questions = await readGoldQuestions(o.gold);
    const bad = questions.find((q) => q.label >= labels.length);
    if (bad) throw new ValidationError(`gold question ${bad.name}: label beyond the ${labels.length} classes of ${o.synsets}`, o.gold);
    importGold(db, o.gold, questions);
  }
  // Targets follow this run's flags (the adaptive ones are raised at run time, kept across restarts).
  if (o.adaptive) db.prepare('UPDATE tasks SET target = MIN(MAX(target, ?), ?) WHERE gold = 0').run(o.adaptive.min, o.adaptive.max);
  else db.prepare('UPDATE tasks SET target = ? WHERE gold = 0').run(overlap);
  const all = db.prepare('SELECT name, image, labels FROM tasks').all() as Array<{ name: string; image: number; labels: string }>;
  const missing = missingImages(all.map((t) => ({ name: t.name, image: t.image, labels: [] })), resolve);
  if (missing.length && !o.allowMissing) {
    const first = missing.slice(0, 5).map((i) => resolve(i) ?? `image ${i}`);
    throw new ValidationError(`${missing.length} task image${missing.length > 1 ? 's are' : ' is'} missing, e.g. ${first.join(', ')} (--allow-missing skips their tasks)`, o.images);
  }
  const setSkipped = db.prepare('UPDATE tasks SET skipped = ? WHERE image = ?');
  db.transaction(() => {
    db.prepare('UPDATE tasks SET skipped = 0').run();
    for (const i of missing) setSkipped.run(1, i);
  })();
  setMeta(db, 'settings', JSON.stringify({ overlap, adaptive: o.adaptive ?? null, gold_rate: o.goldRate ?? null, default_answer: o.defaultAnswer ?? 'none' }));
  return { labels, skipped: missing };
}

export async function createRatingServer(options: RatingServerOptions): Promise<FastifyInstance> {
  checkOptions(options);
  requirePackages('the rating app (image resizing)', ['sharp']);
  const db = openDb(options.db, { sync: options.sync });
  let prepared: { labels: LabelInfo[]; skipped: number[] };
  try {
    prepared = await prepare(options, db);
  } catch (err) {
    db.close();
    throw err;
  }
  const now = options.now ?? Date.now;
  const token = adminToken(db);
  audit(db, 'start', { tasks: options.tasks ?? null, gold: options.gold ?? null }, null, now());
  const assigner = new Assigner(db, {
    leaseMs: options.leaseMs ?? DEFAULTS.leaseMs,
    goldRate: options.gold ? options.goldRate ?? DEFAULTS.goldRate : 0,
    banBelow: options.banBelow,
  });
  // removeAdditional off: an unknown field is a 400, not silently dropped.
  const app = Fastify({ logger: options.logger ?? false, bodyLimit: options.bodyLimit ?? DEFAULTS.bodyLimit, ajv: { customOptions: { removeAdditional: false } } });
  const ctx: RatingContext = {
    db,
    assigner,
    adminToken: token,
    labels: prepared.labels,
    images: new ImageCache(),
    resolveImage: imageResolver(options.images, options.imageList),
    examples: options.examples ? listExamples(options.examples) : new Map(),
    defaultAnswer: options.defaultAnswer ?? 'none',
    dbFile: options.db,
    quality: new QualityService(options.db, db, options.adaptive, options.qualityDelayMs ?? 1000),
    now,
    skipped: prepared.skipped,
    publicUrl: options.publicUrl,
  };
  app.decorate('realabel', ctx);
  registerRoutes(app);
  app.addHook('onClose', async () => {
    await ctx.quality.close();
    db.close();
  });
  return app;
}
