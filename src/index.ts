/**
 * realabel: the typed library API. Every CLI command has a function of the
 * same name here, taking typed options and in-memory arrays.
 */
export * from './errors';
export { hasNative, type Backend } from './native/addon';
