/**
 * The rating app's library entry points. better-sqlite3 (its store) is an
 * optional peer dependency, so the app's modules are loaded only when one of
 * these is called: `import 'realabel'` works without it.
 */
import type { FastifyInstance } from 'fastify';
import { requirePackages } from '../util/optional';
import type { ExportCounts, ExportFilesOptions, ExportOptions } from './export';
import type { RatingServerOptions } from './server';
import type { Db } from './store';

function app<T>(load: () => T): T {
  requirePackages('the rating app', ['better-sqlite3', 'fastify']);
  return load();
}

/** Creates the rating app's server (not yet listening); see docs/serve.md. */
export async function createRatingServer(options: RatingServerOptions): Promise<FastifyInstance> {
  return app(() => require('./server') as typeof import('./server')).createRatingServer(options);
}

/** The answers of a server's store (`app.realabel.db`) as CSV, JSON lines or Label Studio text. */
export function exportAnswers(db: Db, opts: ExportOptions): { main: string; gold: string; counts: ExportCounts } {
  return app(() => require('./export') as typeof import('./export')).exportAnswers(db, opts);
}

/** Writes a server's answers (`app.realabel.db`) to files, raters.npz included. */
export function exportToFiles(db: Db, opts: ExportFilesOptions): ExportCounts & { outputs: string[] } {
  return app(() => require('./export') as typeof import('./export')).exportToFiles(db, opts);
}
