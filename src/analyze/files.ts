/** The file front end of `analyze`. */
import { loadInputs, openAll } from '../evaluate/files';
import { modelResult, type ModelResult } from '../evaluate/evaluate';
import { scoreSourceAsync } from '../evaluate/score';
import { readSynsets } from '../io/synsets';
import type { Backend } from '../native/addon';
import { UsageError } from '../errors';
import { checkSignal, throwIfAborted } from '../util/abort';
import { writeReport, type WrittenReport } from './write-report';
import { checkOutputFolder } from '../io/files';
import { analyzeScored, classInfo, type AnalysisResult, type AnalyzeTuning } from './analyze';

export interface AnalyzeFilesOptions extends AnalyzeTuning {
  labels: string;
  original: string;
  predictions?: string[];
  synsets?: string;
  numClasses?: number;
  backend?: Backend;
  threads?: number;
  /** Report folder to write (report.html, CSVs, figures; see write-report.ts); nothing is written when absent. */
  out?: string;
  /** With `out`: also a PNG of every figure. */
  png?: boolean;
  /** Stops between chunks with an AbortError (nothing written). */
  signal?: AbortSignal;
  /** Called after each model is scored. */
  onProgress?: (done: number, total: number) => void;
}

export interface AnalyzeFilesResult extends AnalysisResult {
  /** The report written to `out`. */
  written?: WrittenReport;
}

export async function analyzeFiles(opts: AnalyzeFilesOptions): Promise<AnalyzeFilesResult> {
  if (opts.out) checkOutputFolder(opts.out); // a file in the way fails before the analysis, not after
  const result = await analyzeInputs(opts);
  throwIfAborted(opts.signal);
  if (!opts.out) return result;
  const inputs = { labels: opts.labels, original: opts.original, synsets: opts.synsets };
  return { ...result, written: await writeReport(result, opts.out, { png: opts.png, inputs }) };
}

async function analyzeInputs(opts: AnalyzeFilesOptions): Promise<AnalysisResult> {
  const synsets = opts.synsets ? readSynsets(opts.synsets) : undefined;
  const opened = openAll(opts.predictions ?? []);
  try {
    const { numClasses, labels, original } = loadInputs({ ...opts, numClasses: opts.numClasses ?? synsets?.length }, opened);
    if (synsets && synsets.length !== numClasses) {
      throw new UsageError(`${opts.synsets} lists ${synsets.length} classes but the predictions have ${numClasses}`);
    }
    const models: ModelResult[] = [];
    for (const [i, { source }] of opened.entries()) {
      models.push(modelResult(source, await scoreSourceAsync(source, labels, original, numClasses, { ...opts, signal: checkSignal(opts.signal) })));
      opts.onProgress?.(i + 1, opened.length);
    }
    return analyzeScored(labels, original!, models, classInfo(numClasses, synsets), opts);
  } finally {
    for (const o of opened) o.close();
  }
}
