/**
 * The native core's contract and loader. `NativeAddon` declares every
 * function native/*.cc registers (native/registry.h: a kernel `name` also has
 * `nameAsync(...args, abort)`, run on libuv's thread pool); `withBackend`
 * is the one place that chooses native or twin. When the core is missing or
 * broken every kernel falls back to its pure-TypeScript twin and we say so
 * once on stderr. REALABEL_NATIVE=0 forces the twins (tests and benches use it).
 */
import * as path from 'node:path';
import { AbortError, ValidationError, RealabelError } from '../errors';
import type { EmKernelOptions, EmProblem, EmResult } from '../aggregate/kernel-types';
import { cudaAddon, cudaUnavailable } from './cuda';

type Floats = Float32Array | Float64Array;

/** Top-K pairs as the native core returns them. */
export interface NativePairs {
  image: Int32Array;
  label: Int32Array;
  value: Float32Array;
}

/** An opaque top-K stream handle (a type-tagged Napi::External). */
export type NativeStream = { readonly __brand: 'realabel.TopkStream' };

export interface NativePooled {
  image: Int32Array;
  label: Int32Array;
  votes: Int32Array;
  /** planes × pairs × words, plane-major. */
  masks: Uint32Array;
  planes: number;
  words: number;
}

export interface NativeBuckets {
  mask: Int32Array;
  count: Int32Array;
  den: Int32Array;
}

/** EM's arguments and result: one contract for the native kernel and its twin (aggregate/kernel-types.ts). */
type NativeEmOptions = EmKernelOptions & { threads: number };

/** The abort flag of an async call: element 0 set to 1 stops the kernel. */
export type AbortFlag = Int32Array;

/** Argument lists of the kernels that have a sync and an async form. */
export interface NativeKernels {
  topkSelect: [data: Floats, n: number, c: number, k: number, criterion: number, threads: number, isa?: number];
  topkStreamPush: [handle: NativeStream, rows: Floats, nRows: number];
  topkStreamFinish: [handle: NativeStream];
  poolPairs: [
    n: number, c: number, models: number, srcImage: Int32Array, srcLabel: Int32Array, srcOffsets: Int32Array,
    srcModel: Int32Array, forced: Int32Array, minVotes: number,
  ];
  selectExhaustive: [
    models: number, words: number, minVotes: number, a: Uint32Array, b: Uint32Array, f: Uint32Array, base: Uint32Array,
    pos: Uint32Array, gold: Uint32Array, goldDen: boolean, maxTp: number, threads: number,
  ];
  aggMajorityVote: [question: Int32Array, answer: Int32Array, numQuestions: number, numAnswers: number, numClasses: number, votes: Float64Array];
  aggEm: [problems: EmProblem[], options: NativeEmOptions];
  aggGoldConfusion: [
    question: Int32Array, worker: Int32Array, answer: Int32Array, truth: Int32Array, numWorkers: number, numAnswers: number,
    numClasses: number, smoothing: number,
  ];
  aggScore: [
    question: Int32Array, worker: Int32Array, answer: Int32Array, numQuestions: number, prior: Float64Array,
    confusion: Float64Array, numWorkers: number, numAnswers: number, threads: number, blockStarts: Int32Array | undefined,
  ];
  evalTopkRows: [scores: Floats, n: number, c: number, k: number, out: Int32Array, threads: number];
}

/** Results of those kernels. */
export interface NativeResults {
  topkSelect: NativePairs;
  topkStreamPush: undefined;
  topkStreamFinish: NativePairs;
  poolPairs: NativePooled;
  selectExhaustive: NativeBuckets;
  aggMajorityVote: Float64Array;
  aggEm: EmResult[];
  aggGoldConfusion: { confusion: Float64Array; counts: Float64Array };
  aggScore: { posterior: Float64Array; logLikelihood: number; blockLogLikelihood?: Float64Array };
  evalTopkRows: undefined;
}

export type KernelName = keyof NativeKernels;

type SyncKernels = { [K in KernelName]: (...args: NativeKernels[K]) => NativeResults[K] };
type AsyncKernels = {
  [K in KernelName as `${K}Async`]: (...args: [...NativeKernels[K], AbortFlag]) => Promise<NativeResults[K]>;
};

/** Every function of the native core (native/*.cc). */
export interface NativeAddon extends SyncKernels, AsyncKernels {
  hardwareThreads(): number;
  /** expectedRows: the stream's total rows when known (a file): fewer candidates, but see `unproven`. */
  topkStreamCreate(c: number, k: number, criterion: number, threads: number, isa?: number, expectedRows?: number): NativeStream;
  /**
   * {sampled, fallbacks} of a finished stream (tests check which paths ran);
   * unproven, before finish: the expectedRows estimate failed, so the rows
   * must be pushed again into a stream without it.
   */
  topkStreamStats(handle: NativeStream): { sampled: number; fallbacks: number; unproven: boolean };
  /** The benchmark's read pass. */
  sumF32(data: Float32Array, threads: number, isa?: number): number;
  /** Best SIMD variant: 1 scalar, 2 AVX2, 3 AVX-512. */
  topkIsa(): number;
  /** CRC-32 continued over bytes (native/io.cc). */
  ioCrc32(crc: number, bytes: Uint8Array): number;
  /** A raw-deflate inflater for ioInflate. */
  ioInflaterCreate(): NativeInflater;
  /** Inflates from input into output: [consumed, produced, ended]. */
  ioInflate(handle: NativeInflater, input: Uint8Array, output: Uint8Array): [number, number, boolean];
  /** A raw-deflate compressor at `level` for ioDeflate. */
  ioDeflaterCreate(level: number): NativeDeflater;
  /** Deflates from input into output (finish: end the stream): [consumed, produced, ended]. */
  ioDeflate(handle: NativeDeflater, input: Uint8Array, output: Uint8Array, finish: boolean): [number, number, boolean];
}

/** An opaque deflater handle (a type-tagged Napi::External). */
export type NativeDeflater = { readonly __brand: 'realabel.Deflater' };

/** An opaque inflater handle (a type-tagged Napi::External). */
export type NativeInflater = { readonly __brand: 'realabel.Inflater' };

let cached: NativeAddon | null | undefined;
let warned = false;

const CANDIDATES = ['build/Release/realabel.node', 'build/Debug/realabel.node'];

export function nativeAddon(): NativeAddon | null {
  if (cached !== undefined) return cached;
  // The library reads the environment only here (REALABEL_NATIVE, REALABEL_ADDON):
  // the addon loads once per process and per worker thread, at the first kernel
  // call, before any option could choose it, so a whole process (CI's sanitizer
  // build, benches forcing the twins) is switched without threading `backend`
  // through every call.
  if (process.env.REALABEL_NATIVE === '0') return (cached = null);
  const root = path.resolve(__dirname, '..', '..');
  let lastError: unknown;
  // REALABEL_ADDON points at another build of the addon (the sanitizer build in CI).
  const override = process.env.REALABEL_ADDON;
  for (const rel of override ? [path.resolve(override)] : CANDIDATES) {
    try {
      cached = require(path.resolve(root, rel)) as NativeAddon;
      return cached;
    } catch (err) {
      lastError = err;
    }
  }
  // An explicit build that does not load is a setup error, not a reason to fall back quietly.
  if (override) throw new Error(`REALABEL_ADDON=${override} could not be loaded: ${String(lastError)}`);
  cached = null;
  if (!warned) {
    warned = true;
    const why = lastError instanceof Error ? lastError.message.split('\n')[0] : String(lastError);
    process.stderr.write(`realabel: native core not available (${why}); using the pure-TypeScript kernels\n`);
  }
  return cached;
}

/** True when the native core is loaded. */
export function hasNative(): boolean {
  return nativeAddon() !== null;
}

/**
 * Backend selection for APIs that accept it: 'auto' uses the GPU when the
 * CUDA module loaded and a GPU is present, else native when loaded, else the
 * twins; 'cuda' requires the GPU (docs/gpu.md).
 */
export type Backend = 'auto' | 'native' | 'cuda' | 'ts';

export const BACKENDS: readonly Backend[] = ['auto', 'native', 'cuda', 'ts'];

// The CPU addon with the CUDA module's kernels in front (kernels it lacks stay on the CPU).
let withGpu: NativeAddon | undefined;

/** Options every kernel function accepts. */
export interface KernelOptions {
  /** 'auto' (default): native when loaded, else the TypeScript twin. */
  backend?: Backend;
  /** Stops the work early; the promise then rejects with an AbortError. */
  signal?: AbortSignal;
}

/** The addon for `backend`, or null for the twin. */
export function selectAddon(backend: Backend = 'auto'): NativeAddon | null {
  if (!BACKENDS.includes(backend)) {
    throw new ValidationError(`backend must be one of ${BACKENDS.map((b) => `'${b}'`).join(', ')}, got '${String(backend)}'`);
  }
  if (backend === 'ts') return null;
  const addon = nativeAddon();
  if (backend === 'native' && !addon) throw new ValidationError('backend: native core requested but not available');
  if (backend === 'native') return addon;
  const gpu = cudaAddon();
  if (backend === 'cuda' && !gpu) throw new ValidationError(`backend 'cuda' requested but ${cudaUnavailable()}`);
  if (backend === 'cuda' && !addon) throw new ValidationError("backend 'cuda' needs the native core too, which is not available");
  if (!gpu || !addon) return addon;
  return (withGpu ??= { ...addon, ...gpu } as NativeAddon);
}

/** Where a native error happened, for the typed error it becomes. */
export interface ErrorContext {
  /** The file being processed, named in the message. */
  file?: string;
  /** Builds the message of a data error (E_NOT_FINITE / E_NAN) from its fields. */
  dataMessage?: (e: NativeErrorFields) => string;
}

/** The fields a native error carries (registry.h). */
export interface NativeErrorFields {
  code: string;
  message: string;
  row?: number;
  column?: number;
  value?: number;
}

/**
 * A native failure as a typed error: E_ABORTED is an AbortError, argument and
 * data errors are ValidationErrors (named for the file), anything else (a
 * bug) passes through unchanged.
 */
export function fromNative(err: unknown, ctx: ErrorContext = {}): Error {
  if (err instanceof RealabelError || err instanceof AbortError) return err;
  const e = err as Partial<NativeErrorFields> | null;
  switch (e?.code) {
    case 'E_ABORTED':
      return new AbortError();
    case 'E_NOT_FINITE':
    case 'E_NAN':
      return new ValidationError(ctx.dataMessage ? ctx.dataMessage(e as NativeErrorFields) : String(e.message), ctx.file);
    case 'E_ARGUMENT':
    case 'E_OUT_OF_MEMORY':
    case 'E_STATE':
      return new ValidationError(String(e.message), ctx.file);
    default:
      return err as Error;
  }
}

/**
 * Runs `native` with the addon when `backend` selects it, else `twin`, and
 * turns failures into typed errors (fromNative: a twin's typed errors pass
 * through; a twin run in a worker fails with the same codes as native).
 * Sync or async: a returned promise has its rejection mapped the same way.
 */
export function withBackend<T>(
  backend: Backend | undefined,
  run: { native: (addon: NativeAddon) => T; twin: () => T },
  ctx: ErrorContext = {},
): T {
  const addon = selectAddon(backend);
  let out: T;
  try {
    out = addon ? run.native(addon) : run.twin();
  } catch (err) {
    throw fromNative(err, ctx);
  }
  if (out instanceof Promise) {
    return out.catch((err: unknown) => {
      throw fromNative(err, ctx);
    }) as T;
  }
  return out;
}

/**
 * An abort flag tied to `signal`: the native kernel polls element 0 between
 * blocks. `release` detaches the listener once the call has settled.
 */
export function abortFlag(signal?: AbortSignal): { flag: AbortFlag; release: () => void } {
  const flag = new Int32Array(1);
  if (!signal) return { flag, release: () => undefined };
  const onAbort = () => Atomics.store(flag, 0, 1);
  if (signal.aborted) onAbort();
  signal.addEventListener('abort', onAbort, { once: true });
  return { flag, release: () => signal.removeEventListener('abort', onAbort) };
}

/**
 * Runs an async native kernel with an abort flag for `signal`. Rejects at once
 * when the signal has already fired, and with an AbortError when it fires
 * while the kernel runs (the kernel stops at its next block).
 */
export async function runNativeAsync<R>(signal: AbortSignal | undefined, call: (flag: AbortFlag) => Promise<R>): Promise<R> {
  if (signal?.aborted) throw new AbortError();
  const { flag, release } = abortFlag(signal);
  try {
    return await call(flag);
  } finally {
    release();
  }
}
