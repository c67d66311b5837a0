/**
 * Access to the real data in ../shared/data. Tests that need it use
 * `describeData` so that they skip, with a clear message, when it is absent.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';

export const DATA_DIR = process.env.REALABEL_DATA ?? path.resolve(__dirname, '..', '..', '..', 'shared', 'data');

export function dataPath(...parts: string[]): string {
  return path.join(DATA_DIR, ...parts);
}

export const HAVE_DATA = fs.existsSync(path.join(DATA_DIR, 'README.md'));

/** `describe` when the shared data folder exists, else a skipped block that says why. */
export function describeData(name: string, fn: () => void): void {
  if (HAVE_DATA) {
    describe(name, fn);
  } else {
    describe.skip(`${name} [skipped: shared data not found at ${DATA_DIR}]`, fn);
    // eslint-disable-next-line no-console
    console.warn(`skipping "${name}": shared data folder ${DATA_DIR} is missing`);
  }
}
