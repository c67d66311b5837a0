/**
 * The optional peer dependencies: packages only some commands need
 * (onnxruntime-node and sharp for `logits`, vega and vega-lite for the
 * report's figures). They are loaded where used, and checked first, on the
 * main thread, so a missing one is a one-line MissingPackageError naming it
 * rather than a module error inside a worker.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { MissingPackageError } from '../errors';

/** Whether `name` can be found from realabel's own folder (as require and import would look). */
export function isInstalled(name: string): boolean {
  const dirs = require.resolve.paths(name) ?? [];
  return dirs.some((dir) => fs.existsSync(path.join(dir, name, 'package.json')));
}

/** Throws MissingPackageError for those of `names` that are not installed; `what` needs them. */
export function requirePackages(what: string, names: string[]): void {
  const missing = names.filter((n) => !isInstalled(n));
  if (missing.length > 0) throw new MissingPackageError(missing, what);
}
