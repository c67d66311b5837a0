/** Opening input files, with one error shape: FormatError naming the file. */
import { constants } from 'node:buffer';
import * as fs from 'node:fs';
import { FormatError } from '../errors';
import { decodeUtf8 } from './utf8';

const MAX_STRING_LENGTH = constants.MAX_STRING_LENGTH;

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

/** A whole text file, as strict UTF-8 (an invalid byte is a FormatError naming its line). */
export function readText(file: string): string {
  let bytes: Buffer;
  try {
    // One JS string holds at most MAX_STRING_LENGTH code units (2^29 - 24 in Node 20).
    const size = fs.statSync(file).size;
    if (size > MAX_STRING_LENGTH) throw new FormatError(`is ${size} bytes, more than one text string can hold (${MAX_STRING_LENGTH})`, file);
    bytes = fs.readFileSync(file);
  } catch (err) {
    if (err instanceof FormatError) throw err;
    throw fileError(err, file);
  }
  return decodeUtf8(bytes, file);
}

/** Fails early, with the typed error, when a file cannot be read. */
export function checkReadable(file: string): void {
  try {
    fs.accessSync(file, fs.constants.R_OK);
  } catch (err) {
    throw fileError(err, file);
  }
}
