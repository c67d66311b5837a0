/**
 * `export`: ReaL label sets in training-friendly forms.
 * - multihot: N x C uint8 (1 where the class is in the set), the target of
 *   a sigmoid / BCE loss in PyTorch: torch.from_numpy(np.load(f)).float();
 * - jsonl: one {"index": i, "labels": [...]} object per line (with "names"
 *   when class names are given).
 */
import { UsageError } from '../errors';
import { indexLabelSets } from '../evaluate/label-index';

export type ExportFormat = 'multihot' | 'jsonl';

export interface ExportOptions {
  labels: ArrayLike<ArrayLike<number>>;
  format: ExportFormat;
  /** Number of classes C (default 1000); a label >= C is an error. */
  numClasses?: number;
  /** Class names for jsonl. */
  names?: string[];
  /** For error messages. */
  file?: string;
}

export type ExportResult =
  | { format: 'multihot'; shape: [number, number]; data: Uint8Array }
  | { format: 'jsonl'; text: string };

export function exportLabels(opts: ExportOptions): ExportResult {
  const c = opts.numClasses ?? 1000;
  if (!Number.isInteger(c) || c < 1) throw new UsageError(`classes must be a positive integer, got ${c}`);
  const idx = indexLabelSets(opts.labels, c, opts.file ?? 'labels');
  if (opts.format === 'multihot') {
    const data = new Uint8Array(idx.n * c);
    for (let i = 0; i < idx.n; i++) {
      for (let j = idx.offsets[i]; j < idx.offsets[i + 1]; j++) data[i * c + idx.labels[j]] = 1;
    }
    return { format: 'multihot', shape: [idx.n, c], data };
  }
  if (opts.format === 'jsonl') {
    const lines: string[] = [];
    for (let i = 0; i < idx.n; i++) {
      const labels = Array.from(idx.labels.subarray(idx.offsets[i], idx.offsets[i + 1]));
      lines.push(JSON.stringify(opts.names ? { index: i, labels, names: labels.map((l) => opts.names![l]) } : { index: i, labels }));
    }
    return { format: 'jsonl', text: lines.length ? `${lines.join('\n')}\n` : '' };
  }
  throw new UsageError(`unknown export format '${String(opts.format)}' (multihot or jsonl)`);
}
