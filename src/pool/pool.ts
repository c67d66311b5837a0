/**
 * Pooling of label proposals (native kernel native/pool.cc, twin pool-ts.ts).
 *
 * Sources are lists of (image, label) pairs, each belonging to a model (in
 * `propose`: two per model, its top-K by logit and by probability). A pair's
 * votes = the number of sources listing it. Kept: votes >= minVotes, plus
 * every forced pair (each forced row gives one label per image: a model's
 * top-1, the original label), which keeps its true vote count (maybe 0).
 * Output is sorted by (image, label). Memory is O(total pairs).
 *
 * Model bitmasks, "words-per-pair" layout: with W = ceil(M / 32) words per
 * pair, model m of pair p is bit (m % 32) of mask[p * W + floor(m / 32)].
 * `masks[j]` (a "plane") has the bit set when at least j + 1 sources of that
 * model list the pair; `models` = masks[0] = the models that proposed it.
 * With two sources per model, votes = popcount(masks[0]) + popcount(masks[1]).
 */
import { ValidationError } from '../errors';
import { runNativeAsync, withBackend, type Backend, type KernelOptions, type NativePooled } from '../native/addon';
import { runTwin } from '../util/workers';
import { poolPairsTs } from './pool-ts';

export interface PairSource {
  image: Int32Array;
  label: Int32Array;
  /** The model this source belongs to, in [0, models). */
  model: number;
}

export interface PoolInput {
  n: number;
  c: number;
  models: number;
  sources: PairSource[];
  /** Rows of n labels each (one per image) that are always kept. */
  forced: Int32Array[];
  minVotes?: number;
}

export interface Pooled {
  image: Int32Array;
  label: Int32Array;
  votes: Int32Array;
  /** masks[0]: bit m set when model m proposed the pair (W words per pair). */
  models: Uint32Array;
  /** masks[j]: bit m set when >= j + 1 sources of model m proposed the pair. */
  masks: Uint32Array[];
  /** Words per pair in each mask: ceil(models / 32). */
  words: number;
  planes: number;
}

/** The flat form both kernels take. */
export interface FlatPoolInput {
  n: number;
  c: number;
  models: number;
  srcImage: Int32Array;
  srcLabel: Int32Array;
  srcOffsets: Int32Array;
  srcModel: Int32Array;
  forced: Int32Array;
  minVotes: number;
}

export interface PoolOptions extends KernelOptions {
  backend?: Backend;
}

function checkInt(name: string, v: number, lo: number, hi: number): void {
  if (!Number.isInteger(v) || v < lo || v > hi) throw new ValidationError(`${name} = ${v} must be an integer in [${lo}, ${hi}]`);
}

function checkRange(what: string, arr: Int32Array, hi: number): void {
  for (let i = 0; i < arr.length; i++) {
    if (arr[i] < 0 || arr[i] >= hi) throw new ValidationError(`${what}[${i}] = ${arr[i]} is outside [0, ${hi})`);
  }
}

/** Validates and concatenates the sources and forced rows. */
export function flattenPoolInput(input: PoolInput): FlatPoolInput {
  const { n, c, models, sources, forced } = input;
  const minVotes = input.minVotes ?? 2;
  checkInt('n', n, 1, 2 ** 31 - 1);
  checkInt('c', c, 1, 2 ** 31 - 1);
  checkInt('models', models, 1, 2 ** 20);
  checkInt('minVotes', minVotes, 1, 2 ** 31 - 1);
  let total = 0;
  sources.forEach((s, i) => {
    if (s.image.length !== s.label.length) throw new ValidationError(`source ${i}: image and label lengths differ`);
    checkInt(`source ${i} model`, s.model, 0, models - 1);
    checkRange(`source ${i} image`, s.image, n);
    checkRange(`source ${i} label`, s.label, c);
    total += s.image.length;
  });
  if (total > 2 ** 31 - 1) throw new ValidationError(`${total} pairs in all: more than 2^31 - 1`);
  forced.forEach((row, f) => {
    if (row.length !== n) throw new ValidationError(`forced row ${f} has ${row.length} labels, expected ${n}`);
    checkRange(`forced row ${f}`, row, c);
  });
  const srcImage = new Int32Array(total);
  const srcLabel = new Int32Array(total);
  const srcOffsets = new Int32Array(sources.length + 1);
  sources.forEach((s, i) => {
    srcImage.set(s.image, srcOffsets[i]);
    srcLabel.set(s.label, srcOffsets[i]);
    srcOffsets[i + 1] = srcOffsets[i] + s.image.length;
  });
  const flatForced = new Int32Array(forced.length * n);
  forced.forEach((row, f) => flatForced.set(row, f * n));
  const srcModel = Int32Array.from(sources, (s) => s.model);
  return { n, c, models, srcImage, srcLabel, srcOffsets, srcModel, forced: flatForced, minVotes };
}

/** Pools the sources (see the module comment) on the calling thread. Both backends give equal bytes. */
export function poolPairsSync(input: PoolInput, opts: PoolOptions = {}): Pooled {
  const flat = flattenPoolInput(input);
  return withBackend(opts.backend, {
    native: (addon) => fromNativePooled(addon.poolPairs(...nativeArgs(flat))),
    twin: () => poolPairsTs(flat),
  });
}

/**
 * Pools the sources off the event loop: natively on libuv's pool, the twin
 * in a worker. Rejects with an AbortError when `opts.signal` fires.
 */
export async function poolPairs(input: PoolInput, opts: PoolOptions = {}): Promise<Pooled> {
  const flat = flattenPoolInput(input);
  return withBackend(opts.backend, {
    native: async (addon) => fromNativePooled(await runNativeAsync(opts.signal, (flag) => addon.poolPairsAsync(...nativeArgs(flat), flag))),
    twin: () => runTwin<Pooled>('poolPairs', [flat], opts.signal),
  });
}

function nativeArgs(f: FlatPoolInput) {
  return [f.n, f.c, f.models, f.srcImage, f.srcLabel, f.srcOffsets, f.srcModel, f.forced, f.minVotes] as const;
}

function fromNativePooled(r: NativePooled): Pooled {
  // Views in this realm: the addon's arrays come from the main realm, which
  // matters under jest (instanceof checks in the npy writer).
  const i32 = (a: Int32Array) => new Int32Array(a.buffer, a.byteOffset, a.length);
  const P = r.image.length;
  const size = P * r.words;
  const all = new Uint32Array(r.masks.buffer, r.masks.byteOffset, r.masks.length);
  const masks = Array.from({ length: r.planes }, (_, j) => all.slice(j * size, (j + 1) * size));
  return { image: i32(r.image), label: i32(r.label), votes: i32(r.votes), masks, models: masks[0], words: r.words, planes: r.planes };
}

/** True when model m's bit is set for pair p in a words-per-pair mask. */
export function hasModel(mask: Uint32Array, words: number, p: number, m: number): boolean {
  return ((mask[p * words + (m >>> 5)] >>> (m & 31)) & 1) === 1;
}
