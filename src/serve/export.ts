/**
 * Exports of the ratings database, in forms `realabel aggregate` reads:
 * - csv / jsonl: crowd-kit's long `task,worker,label` form, question ids
 *   `IMAGE:LABEL`, worker = the rater's id;
 * - raters-npz: the ReaL release's layout (tensor [R, Q, 3] one-hot float64
 *   no/maybe/yes, info [Q, 2] (file name, label), ids [R]);
 * - label-studio: a Label Studio JSON export (one task per image task, data
 *   `image`, `question_i`, `name_i`; one annotation per rater with
 *   `completed_by`, `lead_time` in seconds, choices `answer_i`); expert
 *   truth is a `ground_truth` annotation.
 * Answers to gold questions go to a separate output (`--gold-out`), named as
 * the gold file names them so `aggregate --gold-truth` matches them. Answers
 * of banned raters are left out unless `includeBanned`.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { Worker } from 'node:worker_threads';
import { withTempFileSync } from '../io/atomic';
import { ByteSink } from '../io/byte-sink';
import { writeNpz } from '../io/npz';
import { labelStudio } from './export-label-studio';
import { longForm } from './export-long';
import { countBanned, type ExportCounts } from './export-rows';
import { ratersNpz } from './export-npz';
import type { Db } from './store';

export type { ExportCounts } from './export-rows';

export const EXPORT_FORMATS = ['csv', 'jsonl', 'raters-npz', 'label-studio'] as const;
export type ExportFormat = (typeof EXPORT_FORMATS)[number];

export interface ExportOptions {
  format: ExportFormat;
  includeBanned?: boolean;
  /** Image URL in Label Studio tasks (default /images/<index>). */
  imageUrl?: (image: number) => string;
}

/** CSV / JSONL / Label Studio text: the main answers and the gold answers. */
export function exportAnswers(db: Db, opts: ExportOptions): { main: string; gold: string; counts: ExportCounts } {
  const out = exportBytes(db, opts);
  return { main: out.main.toString('utf8'), gold: out.gold.toString('utf8'), counts: out.counts };
}

/** exportAnswers as UTF-8 bytes (a text can outgrow one JS string). */
export function exportBytes(db: Db, opts: ExportOptions): { main: Buffer; gold: Buffer; counts: ExportCounts } {
  const main = ByteSink.inMemory();
  const gold = ByteSink.inMemory();
  const counts = exportText(db, opts, main, gold);
  return { main: main.contents(), gold: counts.gold_answers ? gold.contents() : Buffer.alloc(0), counts };
}

/** The compiled worker (workers load from dist/, also under ts-jest). */
const WORKER = path.resolve(__dirname, '..', '..', 'dist', 'serve', 'export-worker.js');

/**
 * The main text of an export, built in a worker thread from its own
 * read-only connection to `dbFile` (WAL: one consistent snapshot while the
 * server keeps taking answers), so a large export never holds the server's
 * event loop. Label Studio image URLs are the default /images/<index>.
 */
export function exportAnswersInWorker(dbFile: string, opts: Omit<ExportOptions, 'imageUrl'>): Promise<{ main: Buffer; counts: ExportCounts }> {
  if (!fs.existsSync(WORKER)) return Promise.reject(new Error(`the export worker is not built (${WORKER}): run npm run build`));
  return new Promise((resolve, reject) => {
    const w = new Worker(WORKER, { workerData: { dbFile, opts: { format: opts.format, includeBanned: opts.includeBanned } } });
    w.once('message', (m: { ok: boolean; main?: Uint8Array; counts?: ExportCounts; error?: string }) =>
      m.ok ? resolve({ main: Buffer.from(m.main!.buffer, m.main!.byteOffset, m.main!.length), counts: m.counts! }) : reject(new Error(m.error)),
    );
    w.once('error', reject);
    w.once('exit', (code) => {
      if (code !== 0) reject(new Error(`export worker exited with code ${code}`));
    });
  });
}

/** Writes a text export into sinks, in one read transaction (one snapshot of the database). */
function exportText(db: Db, opts: ExportOptions, main: ByteSink, gold: ByteSink): ExportCounts {
  if (opts.format === 'raters-npz') throw new Error('raters-npz is written by exportToFiles');
  const includeBanned = opts.includeBanned ?? false;
  const counts = db.transaction(() =>
    opts.format === 'label-studio' ? labelStudio(db, opts, main, gold) : longForm(db, opts.format === 'csv', includeBanned, main, gold),
  )();
  counts.banned_left_out = includeBanned ? 0 : countBanned(db);
  return counts;
}

export interface ExportFilesOptions {
  format: ExportFormat;
  out: string;
  goldOut?: string;
  includeBanned?: boolean;
  imageUrl?: (image: number) => string;
}

/**
 * Writes the export (atomically); gold answers go to goldOut, or are left
 * out without it. The main text streams into its file; the gold answers
 * (expert questions: few) are kept in memory until it is known whether
 * there are any.
 */
export function exportToFiles(db: Db, opts: ExportFilesOptions): ExportCounts & { outputs: string[] } {
  const outputs: string[] = [];
  if (opts.format === 'raters-npz') {
    const r = ratersNpz(db, opts.includeBanned ?? false);
    writeNpz(opts.out, r.main, { compress: true });
    outputs.push(opts.out);
    if (opts.goldOut && r.gold) {
      writeNpz(opts.goldOut, r.gold, { compress: true });
      outputs.push(opts.goldOut);
    }
    return { ...r.counts, banned_left_out: opts.includeBanned ? 0 : countBanned(db), outputs };
  }
  const gold = ByteSink.inMemory();
  const counts = withTempFileSync(opts.out, (tmp) => {
    const fd = fs.openSync(tmp, 'w');
    try {
      const main = ByteSink.toFd(fd);
      const c = exportText(db, opts, main, gold);
      main.flush();
      return c;
    } finally {
      fs.closeSync(fd);
    }
  });
  outputs.push(opts.out);
  if (opts.goldOut && counts.gold_answers) {
    const bytes = gold.contents();
    withTempFileSync(opts.goldOut, (tmp) => fs.writeFileSync(tmp, bytes));
    outputs.push(opts.goldOut);
  }
  return { ...counts, outputs };
}
