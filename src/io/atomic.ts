/**
 * Atomic output: write to a temp file beside the target, then rename, so a
 * failure or Ctrl-C never leaves a half-written file under the final name.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { RealabelError, UsageError } from '../errors';

function tempPathFor(target: string): string {
  const dir = path.dirname(path.resolve(target));
  return path.join(dir, `.${path.basename(target)}.${process.pid}.${Date.now().toString(36)}.tmp`);
}

/** Writes `data` to `target` atomically. */
export function writeFileAtomicSync(target: string, data: string | Uint8Array | readonly Uint8Array[]): void {
  withTempFileSync(target, (tmp) => {
    if (Array.isArray(data)) {
      const fd = fs.openSync(tmp, 'w');
      try {
        for (const chunk of data as readonly Uint8Array[]) fs.writeSync(fd, chunk);
      } finally {
        fs.closeSync(fd);
      }
    } else {
      fs.writeFileSync(tmp, data as string | Uint8Array);
    }
  });
}

/** Fails early, before any work, when the output directory is missing. */
export function checkOutputPath(file: string): void {
  const dir = path.dirname(path.resolve(file));
  if (!fs.existsSync(dir) || !fs.statSync(dir).isDirectory()) throw new UsageError(`output directory ${dir} does not exist`);
}

/**
 * A file-system error on the temp file or its rename is the user's output
 * path (missing folder, no permission, a directory in the way, a full disk):
 * a typed error naming the target, not an internal error.
 */
function outputError(err: unknown, tmp: string, target: string): unknown {
  const e = err as NodeJS.ErrnoException;
  if (!e || typeof e.code !== 'string' || e.path !== tmp) return err;
  const why: Record<string, string> = {
    ENOENT: `output directory ${path.dirname(path.resolve(target))} does not exist`,
    ENOTDIR: `output directory ${path.dirname(path.resolve(target))} is not a directory`,
    EISDIR: 'output path is a directory',
    EACCES: 'cannot write here (permission denied)',
    EPERM: 'cannot write here (permission denied)',
    EROFS: 'cannot write here (read-only file system)',
    ENOSPC: 'cannot write (no space left on the device)',
  };
  return why[e.code] ? new RealabelError('E_OUTPUT', why[e.code], target) : err;
}

/** Runs `write(tmp)` and renames tmp over `target`; removes tmp on failure. */
export function withTempFileSync<T>(target: string, write: (tmp: string) => T): T {
  const tmp = tempPathFor(target);
  try {
    const result = write(tmp);
    fs.renameSync(tmp, target);
    return result;
  } catch (err) {
    fs.rmSync(tmp, { force: true });
    throw outputError(err, tmp, target);
  }
}

/** Async variant of withTempFileSync. */
export async function withTempFile<T>(target: string, write: (tmp: string) => Promise<T>): Promise<T> {
  const tmp = tempPathFor(target);
  try {
    const result = await write(tmp);
    await fs.promises.rename(tmp, target);
    return result;
  } catch (err) {
    await fs.promises.rm(tmp, { force: true });
    throw outputError(err, tmp, target);
  }
}
