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
