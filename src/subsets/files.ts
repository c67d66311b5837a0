/** The file front end of `select-models`: proposals.npz and the experts' golden.npz in, the Pareto front CSV out. */
import { checkOutputPath, writeFileAtomicSync } from '../io/atomic';
import { readProposals } from '../propose/io';
import { checkSignal, throwIfAborted } from '../util/abort';
import { now, since } from '../util/timer';
import { readGold } from './gold';
import { paretoCsv, selectModels, type SelectOptions, type SelectResult } from './subsets';

export interface SelectModelsFilesOptions extends SelectOptions {
  /** proposals.npz from `propose`. */
  proposals: string;
  /** Expert answers (golden.npz layout: tensor [R, Q, 3], info [Q, 2]). */
  gold: string;
  /** Experts saying yes for a gold positive (default 3). */
  minYes?: number;
  /** The Pareto front as CSV; nothing is written when absent. */
  paretoOut?: string;
  signal?: AbortSignal;
}

export interface SelectModelsFilesResult {
  result: SelectResult;
  paretoOut?: string;
  timingsMs: { read: number; search: number; total: number };
}

export async function selectModelsFiles(opts: SelectModelsFilesOptions): Promise<SelectModelsFilesResult> {
  const signal = checkSignal(opts.signal);
  if (opts.paretoOut) checkOutputPath(opts.paretoOut);
  const t0 = now();
  const proposals = readProposals(opts.proposals);
  const gold = readGold(opts.gold, { minYes: opts.minYes ?? 3 });
  const read = since(t0);
  throwIfAborted(signal);
  const t1 = now();
  const result = selectModels(proposals, gold, opts);
  const search = since(t1);
  throwIfAborted(signal);
  if (opts.paretoOut) writeFileAtomicSync(opts.paretoOut, paretoCsv(result));
  return { result, paretoOut: opts.paretoOut, timingsMs: { read, search, total: since(t0) } };
}
