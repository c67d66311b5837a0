/** The file front end of `analyze`. */
import { loadInputs, openAll } from '../evaluate/files';
import type { ModelResult } from '../evaluate/evaluate';
import { scoreSourceAsync } from '../evaluate/score';
import { readSynsets } from '../io/synsets';
import type { Backend } from '../native/addon';
import { UsageError } from '../errors';
import { analyzeScored, classInfo, type AnalysisResult, type AnalyzeTuning } from './analyze';

export interface AnalyzeFilesOptions extends AnalyzeTuning {
  labels: string;
  original: string;
  predictions?: string[];
  synsets?: string;
  numClasses?: number;
  backend?: Backend;
  threads?: number;
  onModel?: (done: number, total: number) => void;
}

export async function analyzeFiles(opts: AnalyzeFilesOptions): Promise<AnalysisResult> {
  const synsets = opts.synsets ? readSynsets(opts.synsets) : undefined;
  const opened = openAll(opts.predictions ?? []);
  try {
    const { numClasses, labels, original } = loadInputs({ ...opts, numClasses: opts.numClasses ?? synsets?.length }, opened);
    if (synsets && synsets.length !== numClasses) {
      throw new UsageError(`${opts.synsets} lists ${synsets.length} classes but the predictions have ${numClasses}`);
    }
    const models: ModelResult[] = [];
    for (const [i, { source }] of opened.entries()) {
      const s = await scoreSourceAsync(source, labels, original, numClasses, opts);
      opts.onModel?.(i + 1, opened.length);
      models.push({ name: source.name, file: source.file, kind: source.kind, ...s.metrics, counts: s.counts, perClass: s.perClass, top1: s.top1 });
    }
    return analyzeScored(labels, original!, models, classInfo(numClasses, synsets), opts);
  } finally {
    for (const o of opened) o.close();
  }
}
