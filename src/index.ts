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
