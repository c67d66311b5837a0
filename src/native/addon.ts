/**
 * Loads the optional native core. When it is missing or broken, every kernel
 * falls back to its pure-TypeScript twin and we say so once on stderr.
 * REALABEL_NATIVE=0 forces the twins (tests and benches use it).
 */
import * as path from 'node:path';
import { cudaAddon, cudaUnavailable } from './cuda';

// Functions registered by native/*.cc. Each kernel module narrows this.
export type NativeAddon = Record<string, (...args: any[]) => any>;

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

export function pickNative(backend: Backend = 'auto'): NativeAddon | null {
  if (backend === 'ts') return null;
  const addon = nativeAddon();
  if (backend === 'native' && !addon) throw new Error('native core requested but not available');
  if (backend === 'native') return addon;
  const gpu = cudaAddon();
  if (backend === 'cuda' && !gpu) throw new Error(`backend 'cuda' requested but ${cudaUnavailable()}`);
  if (backend === 'cuda' && !addon) throw new Error("backend 'cuda' needs the native core too, which is not available");
  if (!gpu || !addon) return addon;
  return (withGpu ??= { ...addon, ...gpu });
}
