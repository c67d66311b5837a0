/**
 * Atomic output: write to a temp file beside the target, then rename, so a
 * failure or Ctrl-C never leaves a half-written file under the final name.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';

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

/** Runs `write(tmp)` and renames tmp over `target`; removes tmp on failure. */
export function withTempFileSync<T>(target: string, write: (tmp: string) => T): T {
  const tmp = tempPathFor(target);
  try {
    const result = write(tmp);
    fs.renameSync(tmp, target);
    return result;
  } catch (err) {
    fs.rmSync(tmp, { force: true });
    throw err;
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
    throw err;
  }
}
