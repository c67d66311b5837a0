/**
 * The image list of a `logits` run, in output-row order: a folder gives its
 * image files (recursively, hidden entries skipped) sorted by relative path;
 * a text file gives one path per line, in its order (relative paths resolve
 * against the list's folder, blank lines are skipped); a single image file
 * gives one row.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { FormatError, ValidationError } from '../errors';
import { readText } from '../io/files';

export const IMAGE_EXTENSIONS = /\.(jpe?g|png|webp)$/i;

export interface ImageList {
  /** Paths to open. */
  files: string[];
  /** The names written to `<out>.files.txt`: relative to the folder, or as listed. */
  names: string[];
}

export function listImages(source: string | readonly string[]): ImageList {
  if (typeof source !== 'string') {
    const files = [...source];
    return checkNonEmpty({ files, names: files }, '(image list)');
  }
  let stat: fs.Stats;
  try {
    stat = fs.statSync(source);
  } catch {
    throw new FormatError('no such image folder or list file', source);
  }
  if (stat.isDirectory()) return checkNonEmpty(listFolder(source), source);
  // A single image is a one-row run; anything else is a list file.
  if (IMAGE_EXTENSIONS.test(source)) return { files: [source], names: [path.basename(source)] };
  return checkNonEmpty(readList(source), source);
}

function checkNonEmpty(list: ImageList, source: string): ImageList {
  if (list.files.length === 0) throw new ValidationError('no images to process (.jpg, .jpeg, .png, .webp)', source);
  return list;
}

function byCodeUnit(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

function listFolder(dir: string): ImageList {
  const names: string[] = [];
  const walk = (rel: string): void => {
    for (const e of fs.readdirSync(path.join(dir, rel), { withFileTypes: true })) {
      if (e.name.startsWith('.')) continue;
      const r = rel ? `${rel}/${e.name}` : e.name;
      if (e.isDirectory()) walk(r);
      else if (IMAGE_EXTENSIONS.test(e.name) && (e.isFile() || e.isSymbolicLink())) names.push(r);
    }
  };
  walk('');
  names.sort(byCodeUnit);
  return { files: names.map((n) => path.join(dir, n)), names };
}

function readList(file: string): ImageList {
  const base = path.dirname(file);
  const names = readText(file)
    .split(/\r?\n/)
    .map((l) => l.trim())
    .filter((l) => l !== '');
  if (names.some((n) => n.includes('\0'))) throw new FormatError('list contains a NUL byte (is it a binary file?)', file);
  return { files: names.map((n) => path.resolve(base, n)), names };
}
