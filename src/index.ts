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
export { readGold, type Gold } from './select-models/gold';
export { selectModels, paretoCsv, type SelectOptions, type SelectResult, type SubsetReport } from './select-models/select';
export { simulate, planSimulation, type SimulateOptions, type Simulation } from './simulate/simulate';
export { simulateToDir, type SimulateFilesOptions, type SimulateFilesResult } from './simulate/write';
export { tasks, type Task, type TaskLabel, type TasksInput, type TasksOptions, type TasksResult, type TasksSummary, type ClassInfo } from './tasks/tasks';
export { splitLabels, minTasks } from './tasks/split';
export { classHierarchy, type ClassHierarchy } from './tasks/hierarchy';
export { WordNetNouns, wnidOffset } from './tasks/wordnet';
export { categoryCount } from './tasks/coherence';
export { readProposalPairs, readProposalPairsSync } from './tasks/read';
export { tasksToJsonl, tasksToCsv, questionId, parseQuestionId } from './tasks/format';
export { logits, InterruptedError, type LogitsOptions, type LogitsResult } from './logits/logits';
export { preprocessImage, IMAGENET_MEAN, IMAGENET_STD, type PreprocessOptions, type Layout } from './logits/preprocess';
