/** The ImageNet class list (`synset.txt`: one `wnid name, name...` per line). */
import { FormatError, ValidationError } from '../errors';
import { readText } from './files';

export interface Synset {
  wnid: string;
  name: string;
}

export function readSynsets(file: string, opts: { expected?: number } = {}): Synset[] {
  const text = readText(file);
  const lines = text.split(/\r?\n/);
  if (lines.length && lines[lines.length - 1] === '') lines.pop();
  const out = lines.map((line, i) => {
    const m = /^(n\d{8})\s+(.+)$/.exec(line.trim());
    if (!m) throw new FormatError(`line ${i + 1} is not 'nXXXXXXXX name' (${JSON.stringify(line.slice(0, 40))})`, file);
    return { wnid: m[1], name: m[2].trim() };
  });
  if (opts.expected !== undefined && out.length !== opts.expected) {
    throw new ValidationError(`has ${out.length} classes, expected ${opts.expected}`, file);
  }
  return out;
}

/** The first name of a synset ("tench, Tinca tinca" → "tench"). */
export function shortName(s: Synset): string {
  return s.name.split(',')[0].trim();
}
