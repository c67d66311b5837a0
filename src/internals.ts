/**
 * `realabel/internals`: the building blocks behind the public API (kernels
 * and their twins, readers' parts, the published release's helpers). Used by
 * realabel's own CLI, tests and benches; no stability promise across
 * versions. The public API is `realabel` (src/index.ts, docs/api.md).
 */
export { nativeAddon, selectAddon, withBackend, fromNative, type NativeAddon, type KernelOptions } from './native/addon';
export { runTwin, closeTwinPool } from './util/workers';
export { parseNpy, encodeNpy, NpyReader, ndarray } from './io/npy';
export { readNpzAsync, NpzReader } from './io/npz';
export { toInt32, toFloatMatrix } from './io/convert';
export { poolPairs, poolPairsSync, type PoolInput, type Pooled, type PairSource } from './pool/pool';
export { proposalStats, type ProposalStats } from './propose/propose';
export { paretoCsv, exhaustiveBuckets, exhaustiveBucketsSync } from './subsets/subsets';
export { planSimulation } from './simulate/simulate';
export { TopKStream, TopKStreamSync } from './topk/topk';
export { splitLabels, minTasks } from './tasks/split';
export { classHierarchy, type ClassHierarchy } from './tasks/hierarchy';
export { WordNetNouns, wnidOffset } from './tasks/wordnet';
export { categoryCount } from './tasks/coherence';
export { readProposalPairs, readProposalPairsSync } from './tasks/read';
export { questionId, parseQuestionId } from './tasks/format';
export { preprocessImage, IMAGENET_MEAN, IMAGENET_STD, type PreprocessOptions, type Layout } from './logits/preprocess';
export { categoricalCsv } from './aggregate/aggregate';
export { answerTable } from './aggregate/memory';
export { labelSets, questionPairs, expertTruth, expertPlurality, originalLabelAnswers, writeScores } from './aggregate/real';
export { majorityVote, majorityVoteSync } from './aggregate/mv';
export { dawidSkene, dawidSkeneBatch } from './aggregate/ds';
export { oneCoin, oneCoinBatch } from './aggregate/one-coin';
export { runEm, runEmSync, type EmProblem, type EmKernelOptions, type EmResult } from './aggregate/em';
export { goldScore, goldScoreSync, goldConfusion, goldConfusionSync, scorePass, scorePassSync, truthPrior, type PseudoRater, type GoldScoreInput, type GoldScoreResult } from './aggregate/gold';
export { prCurve, thresholdForPrecision } from './aggregate/pr';
export { modeSpec, type Mode, type ModeSpec, type CompactAnswers } from './aggregate/problem';
export { pythonSetOrder } from './aggregate/python-set';
export { topkRows, topkRowsSync, type RowTopKOptions } from './evaluate/topk';
export { DEMO_DEFAULTS } from './demo/demo';
