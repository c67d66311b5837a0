/** Opening input files, with one error shape: FormatError naming the file. */
import * as fs from 'node:fs';
import { FormatError } from '../errors';

/** The typed error for a file that cannot be opened or read. */
export function fileError(err: unknown, file: string): FormatError {
  const code = (err as NodeJS.ErrnoException)?.code;
  if (code === 'ENOENT') return new FormatError('no such file', file);
  if (code === 'EISDIR') return new FormatError('is a directory, not a file', file);
  return new FormatError(`cannot read (${code ?? String(err)})`, file);
}

export function openRead(file: string): number {
  try {
    return fs.openSync(file, 'r');
  } catch (err) {
    throw fileError(err, file);
  }
}

export function readText(file: string): string {
  try {
    return fs.readFileSync(file, 'utf8');
  } catch (err) {
    throw fileError(err, file);
  }
}

/** Fails early, with the typed error, when a file cannot be read. */
export function checkReadable(file: string): void {
  try {
    fs.accessSync(file, fs.constants.R_OK);
  } catch (err) {
    throw fileError(err, file);
  }
}
