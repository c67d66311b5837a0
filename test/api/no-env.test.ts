/**
 * The library never reads the environment: options choose (backend, ...),
 * and the CLI maps environment variables to them. One exception, stated in
 * src/native/addon.ts: REALABEL_NATIVE / REALABEL_ADDON pick which build of
 * the CPU addon a process (and each of its worker threads) loads.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';

const SRC = path.resolve(__dirname, '..', '..', 'src');
const ALLOWED = new Set(['cli', path.join('native', 'addon.ts')]);

function files(dir: string, rel = ''): string[] {
  return fs.readdirSync(path.join(dir, rel), { withFileTypes: true }).flatMap((e) => {
    const r = path.join(rel, e.name);
    if (ALLOWED.has(r)) return [];
    return e.isDirectory() ? files(dir, r) : e.name.endsWith('.ts') ? [r] : [];
  });
}

test('no library module outside src/cli reads process.env', () => {
  const readers = files(SRC).filter((f) => /process\.env\b/.test(fs.readFileSync(path.join(SRC, f), 'utf8')));
  expect(readers).toEqual([]);
});
