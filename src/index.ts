/**
 * realabel: the public library API, as documented in docs/api.md (a test
 * keeps the two equal). Every CLI command has a function of the same name,
 * taking typed options and in-memory inputs (typed arrays), and file front
 * ends where a command streams large files. Building blocks the commands use
 * (kernels, readers' internals, helpers) are in `realabel/internals`, with no
 * stability promise.
 */
export { RealabelError, FormatError, ValidationError, UnsupportedError, UsageError, MissingPackageError, AbortError } from './errors';
export { hasNative, type Backend } from './native/addon';

// Files: arrays, label sets, class lists.
export { readNpy, writeNpy, type NdArray, type NumericArray } from './io/npy';
export { readNpz, writeNpz } from './io/npz';
export { readLabelSets, writeLabelSets, type LabelSets } from './io/labels';
export { readSynsets, type Synset } from './io/synsets';

// The stages, in pipeline order.
export { topk, topkSync, topkFile, topkFileSync, type Criterion, type Pairs, type TopKOptions, type TopKFileOptions, type TopKFileResult } from './topk/topk';
export { propose, proposeSync, proposeFiles, type Proposals, type ProposeInput, type ProposeFilesInput, type ProposeFilesResult } from './propose/propose';
export { readProposals, writeProposals } from './propose/io';
export { readGold, type Gold, type GoldQuestions } from './subsets/gold';
export { selectModels, type SelectOptions, type SelectResult, type SubsetReport } from './subsets/subsets';
export { selectModelsFiles, type SelectModelsFilesOptions, type SelectModelsFilesResult } from './subsets/files';
export {
  tasks, type Task, type TaskLabel, type TasksInput, type TasksOptions, type TasksResult, type TasksSummary, type ClassInfo,
} from './tasks/tasks';
export { tasksToJsonl, tasksToCsv } from './tasks/format';
export { tasksFiles, type TasksFilesOptions, type TasksFilesResult } from './tasks/files';
export { aggregate, type AggregateOptions, type AggregateResult, type Method, type PseudoRaterSpec } from './aggregate/aggregate';
export { aggregateFiles, type AggregateFilesOptions, type AggregateFilesResult } from './aggregate/files';
export type { AnswersInput } from './aggregate/memory';
export type { PrPoint } from './aggregate/pr';
export { readAnswers, readRatersNpz, type AnswerTable, type ReadAnswersOptions, type OnDuplicate } from './io/answers';
export { reproduceReal, type RealRelease, type ReproduceRealOptions, type ReproduceRealResult } from './aggregate/real';
export { evaluate, evaluateSync, type EvaluateOptions, type EvaluateResult, type ModelResult } from './evaluate/evaluate';
export { evaluateFiles, type EvaluateFilesOptions } from './evaluate/files';
export type { Metrics, MetricCounts, PerClassCounts } from './evaluate/scorer';
export type { PredictionInput } from './evaluate/sources';
export { analyze, analyzeSync, type AnalyzeOptions, type AnalysisResult } from './analyze/analyze';
export { analyzeFiles, type AnalyzeFilesOptions, type AnalyzeFilesResult } from './analyze/files';
export { writeReport, type WriteReportOptions } from './analyze/write-report';
export { clean, type CleanOptions, type CleanResult, type ScoreKind } from './clean/clean';
export { cleanFiles, type CleanFilesOptions, type CleanFilesResult } from './clean/files';
export { exportLabels, exportLabels as export, type ExportOptions, type ExportResult, type ExportFormat } from './export/export';
export { exportLabelsFiles, type ExportLabelsFilesOptions, type ExportLabelsFilesResult } from './export/files';

// Helpers: your models' logits, simulated benchmarks, the demo.
export { logits, InterruptedError, type LogitsOptions, type LogitsResult } from './logits/logits';
export { simulate, type SimulateOptions, type Simulation } from './simulate/simulate';
export { simulateFiles, type SimulateFilesOptions, type SimulateFilesResult } from './simulate/write';
export { demo, type DemoOptions, type DemoResult } from './demo/demo';

// The rating app (docs/serve.md): better-sqlite3 (optional) is loaded when it is used; sharp (optional) is checked when a server is created.
export { createRatingServer, exportAnswers, exportToFiles } from './serve/api';
export type { RatingServerOptions, RatingContext } from './serve/server';
export type { ExportFilesOptions, ExportCounts } from './serve/export';
