/**
 * realabel: the typed library API. Every CLI command has a function of the
 * same name here, taking typed options and in-memory inputs (typed arrays).
 */
export * from './errors';
export { hasNative, type Backend } from './native/addon';
export { readNpy, writeNpy, parseNpy, encodeNpy, NpyReader, ndarray, type NdArray, type NumericArray } from './io/npy';
export { readNpz, readNpzAsync, writeNpz, NpzReader } from './io/npz';
export { readLabelSets, writeLabelSets, type LabelSets } from './io/labels';
export { readSynsets, type Synset } from './io/synsets';
export { toInt32, toFloatMatrix } from './io/convert';
export { poolPairs, type PoolInput, type Pooled, type PairSource } from './pool/pool';
export {
  propose, proposeFiles, proposalStats, type Proposals, type ProposeInput, type ProposeFilesInput, type ProposalStats,
} from './propose/propose';
export { readProposals, writeProposals } from './propose/io';
export { readGold, type Gold, type GoldQuestions } from './subsets/gold';
export { selectModels, paretoCsv, type SelectOptions, type SelectResult, type SubsetReport } from './subsets/subsets';
export { simulate, planSimulation, type SimulateOptions, type Simulation } from './simulate/simulate';
export { simulateToDir, type SimulateFilesOptions, type SimulateFilesResult } from './simulate/write';
export { topk, topkFile, TopKStream, type Criterion, type Pairs, type TopKOptions, type TopKFileResult } from './topk/topk';
export { tasks, type Task, type TaskLabel, type TasksInput, type TasksOptions, type TasksResult, type TasksSummary, type ClassInfo } from './tasks/tasks';
export { splitLabels, minTasks } from './tasks/split';
export { classHierarchy, type ClassHierarchy } from './tasks/hierarchy';
export { WordNetNouns, wnidOffset } from './tasks/wordnet';
export { categoryCount } from './tasks/coherence';
export { readProposalPairs, readProposalPairsSync } from './tasks/read';
export { tasksToJsonl, tasksToCsv, questionId, parseQuestionId } from './tasks/format';
export { logits, InterruptedError, type LogitsOptions, type LogitsResult } from './logits/logits';
export { preprocessImage, IMAGENET_MEAN, IMAGENET_STD, type PreprocessOptions, type Layout } from './logits/preprocess';
export { aggregate, categoricalCsv, type AggregateOptions, type AggregateResult, type Method, type PseudoRaterSpec } from './aggregate/aggregate';
export { answerTable, type AnswersInput } from './aggregate/memory';
export { reproduceReal, labelSets, questionPairs, expertTruth, expertPlurality, originalLabelAnswers, writeScores, type RealRelease, type ReproduceRealOptions, type ReproduceRealResult } from './aggregate/real';
export { majorityVote } from './aggregate/mv';
export { dawidSkene, dawidSkeneBatch } from './aggregate/ds';
export { oneCoin, oneCoinBatch } from './aggregate/one-coin';
export { runEm, type EmProblem, type EmKernelOptions, type EmResult } from './aggregate/em';
export { goldScore, goldConfusion, scorePass, truthPrior, type PseudoRater, type GoldScoreInput, type GoldScoreResult } from './aggregate/gold';
export { prCurve, thresholdForPrecision, type PrPoint } from './aggregate/pr';
export { modeSpec, type Mode, type ModeSpec, type CompactAnswers } from './aggregate/problem';
export { pythonSetOrder } from './aggregate/python-set';
export { readAnswers, readRatersNpz, type AnswerTable, type ReadAnswersOptions, type OnDuplicate } from './io/answers';
export { evaluate, type EvaluateOptions, type EvaluateResult, type ModelResult } from './evaluate/evaluate';
export { evaluateFiles, type EvaluateFilesOptions } from './evaluate/files';
export { topkRows, type RowTopKOptions } from './evaluate/topk';
export type { Metrics, MetricCounts, PerClassCounts } from './evaluate/scorer';
export type { PredictionInput } from './evaluate/sources';
export { analyze, type AnalyzeOptions, type AnalysisResult } from './analyze/analyze';
export { analyzeFiles, type AnalyzeFilesOptions } from './analyze/files';
export { writeReport, type WriteReportOptions } from './analyze/write-report';
export { clean, type CleanOptions, type CleanResult, type ScoreKind } from './clean/clean';
export { cleanFiles, type CleanFilesOptions } from './clean/files';
export { exportLabels, exportLabels as export, type ExportOptions, type ExportResult, type ExportFormat } from './export/export';
export { demo, DEMO_DEFAULTS, type DemoOptions, type DemoResult } from './demo/demo';
export { createRatingServer, type RatingServerOptions, type RatingContext } from './serve/server';
export { exportAnswers, exportToFiles, type ExportFilesOptions, type ExportCounts } from './serve/export';
