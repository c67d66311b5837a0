/**
 * realabel: the typed library API. Every CLI command has a function of the
 * same name here, taking typed options and in-memory arrays.
 */
export * from './errors';
export { hasNative, type Backend } from './native/addon';
export { logits, InterruptedError, type LogitsOptions, type LogitsResult } from './logits/logits';
export { preprocessImage, IMAGENET_MEAN, IMAGENET_STD, type PreprocessOptions, type Layout } from './logits/preprocess';
