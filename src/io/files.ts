/** Opening input files, with one error shape: FormatError naming the file. */
import { constants } from 'node:buffer';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { FormatError, OutputError } from '../errors';
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

/**
 * The levels of `dir` that do not exist yet, outermost first, without
 * creating anything. A file where a folder should be is an OutputError
 * naming it: callers check an output folder before any work.
 */
export function missingDirs(dir: string): string[] {
  const missing: string[] = [];
  for (let d = path.resolve(dir); ; d = path.dirname(d)) {
    let isDir = false;
    try {
      isDir = fs.statSync(d).isDirectory();
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      // ENOTDIR: a file further up; the walk reaches it and names it.
      if (code !== 'ENOENT' && code !== 'ENOTDIR') throw new OutputError(`cannot create the folder (${code ?? String(err)})`, dir);
      missing.push(d);
      if (path.dirname(d) === d) break;
      continue;
    }
    if (!isDir) throw new OutputError(d === path.resolve(dir) ? 'is a file, not a folder' : `cannot create the folder: ${d} is a file`, dir);
    break;
  }
  return missing.reverse();
}

/** Fails early, before any work, when `dir` cannot become an output folder (a file in the way). */
export function checkOutputFolder(dir: string): void {
  missingDirs(dir);
}

/**
 * mkdir -p. Node 20's recursive mkdirSync spins forever when mkdir answers
 * ENOENT under an existing parent (e.g. /proc, /sys); this walks up once to
 * the first existing ancestor and creates each level, so any failure is an
 * OutputError naming the folder. Returns the first folder it created.
 */
export function makeDirs(dir: string): string | undefined {
  const missing = missingDirs(dir);
  for (const d of missing) {
    try {
      fs.mkdirSync(d);
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code !== 'EEXIST') throw new OutputError(`cannot create the folder (${code ?? String(err)})`, dir);
    }
  }
  return missing[0];
}

/**
 * Creates `dir` like mkdir -p, runs `write`, and if it fails removes the
 * folders this call created, so a failed run leaves no new empty folders.
 */
export async function intoNewFolder<T>(dir: string, write: () => Promise<T> | T): Promise<T> {
  const created = makeDirs(dir);
  try {
    return await write();
  } catch (err) {
    if (created) fs.rmSync(created, { recursive: true, force: true });
    throw err;
  }
}

/** Fills `into` with the bytes of `fd` at `offset`; a file shorter than that is a FormatError naming it. */
export function readExact(fd: number, file: string, into: Uint8Array, offset: number, truncated?: string): void {
  let got = 0;
  while (got < into.length) {
    const n = fs.readSync(fd, into, got, into.length - got, offset + got);
    if (n === 0) throw new FormatError(truncated ?? `truncated: expected ${into.length} bytes at offset ${offset}`, file);
    got += n;
  }
}
