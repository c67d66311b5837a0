/**
 * Label-set files in the published `real.json` format: a JSON list of N lists
 * of class indices (an empty list means "no valid label").
 */
import { FormatError, ValidationError } from '../errors';
import { writeFileAtomicSync } from './atomic';
import { readText } from './files';

export type LabelSets = number[][];

export function readLabelSets(file: string, opts: { numClasses?: number; n?: number } = {}): LabelSets {
  const text = readText(file);
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    throw new FormatError(`not valid JSON (${(err as Error).message})`, file);
  }
  return validateLabelSets(value, file, opts);
}

/** Checks the shape and ranges of parsed label sets. */
export function validateLabelSets(value: unknown, file?: string, opts: { numClasses?: number; n?: number } = {}): LabelSets {
  if (!Array.isArray(value)) throw new FormatError('expected a JSON list of label lists', file);
  if (opts.n !== undefined && value.length !== opts.n) {
    throw new ValidationError(`has ${value.length} label sets, expected ${opts.n}`, file);
  }
  const max = opts.numClasses ?? Infinity;
  value.forEach((set, i) => {
    if (!Array.isArray(set)) throw new FormatError(`entry ${i} is not a list`, file);
    const seen = new Set<number>();
    for (const label of set) {
      if (!Number.isInteger(label) || label < 0) throw new ValidationError(`entry ${i} has an invalid label ${JSON.stringify(label)}`, file);
      if (label >= max) throw new ValidationError(`entry ${i} has label ${label}, out of range [0, ${max})`, file);
      if (seen.has(label)) throw new ValidationError(`entry ${i} lists label ${label} twice`, file);
      seen.add(label);
    }
  });
  return value as LabelSets;
}

/** The published formatting: `[[], [970, 795], [230, 231], ...]`. */
export function formatLabelSets(sets: LabelSets): string {
  return `[${sets.map((s) => `[${s.join(', ')}]`).join(', ')}]`;
}

export function writeLabelSets(file: string, sets: LabelSets): void {
  writeFileAtomicSync(file, formatLabelSets(sets));
}
