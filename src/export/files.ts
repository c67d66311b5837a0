/** The file front end of `export`: a real.json-style label file in, multi-hot .npy or JSON lines out. */
import { writeFileAtomicSync } from '../io/atomic';
import { readLabelSets } from '../io/labels';
import { writeNpy } from '../io/npy';
import { readSynsets } from '../io/synsets';
import { checkSignal, throwIfAborted } from '../util/abort';
import { exportLabels, type ExportFormat } from './export';

export interface ExportLabelsFilesOptions {
  /** Label sets (real.json format). */
  labels: string;
  format: ExportFormat;
  /** Output file: .npy (multihot) or text (jsonl). */
  out: string;
  /** Number of classes C (default 1000); a label >= C is an error. */
  numClasses?: number;
  /** synset.txt: adds class names to jsonl. */
  synsets?: string;
  signal?: AbortSignal;
}

export interface ExportLabelsFilesResult {
  out: string;
  format: ExportFormat;
  /** Label sets (images). */
  n: number;
  numClasses: number;
  /** Labels over all sets. */
  labels: number;
}

export async function exportLabelsFiles(opts: ExportLabelsFilesOptions): Promise<ExportLabelsFilesResult> {
  const signal = checkSignal(opts.signal);
  const numClasses = opts.numClasses ?? 1000;
  const sets = readLabelSets(opts.labels, { numClasses });
  const names = opts.synsets ? readSynsets(opts.synsets, { expected: numClasses }).map((s) => s.name) : undefined;
  const r = exportLabels({ labels: sets, format: opts.format, numClasses, names, file: opts.labels });
  throwIfAborted(signal);
  if (r.format === 'multihot') writeNpy(opts.out, { dtype: 'u1', shape: r.shape, data: r.data });
  else writeFileAtomicSync(opts.out, r.text);
  return { out: opts.out, format: opts.format, n: sets.length, numClasses, labels: sets.reduce((s, x) => s + x.length, 0) };
}
