/** Runs the built CLI (dist/, built by `npm test`'s pretest) in a child process. */
import { spawnSync } from 'node:child_process';
import * as path from 'node:path';

export const BIN = path.resolve(__dirname, '..', '..', 'bin', 'realabel.js');

export function runCli(args: string[], cwd?: string): { code: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [BIN, ...args], { encoding: 'utf8', cwd, env: { ...process.env, REALABEL_DEBUG: '' } });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}
