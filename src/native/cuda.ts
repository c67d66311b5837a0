/**
 * Loads the optional CUDA module (build-cuda/realabel_cuda.node, built at
 * install only where nvcc is found; docs/gpu.md). It implements topkSelect,
 * the top-K stream, poolPairs and aggEm with the CPU addon's signatures and
 * results; `backend: 'cuda'` puts it in front of the CPU addon, and 'auto'
 * does so only when it loaded and a GPU is present. Never required: a
 * missing or broken module only means "no GPU backend". The library reads no
 * environment variable: `backend` chooses, and the CLI maps REALABEL_CUDA=0
 * to a backend without the GPU (src/cli/common.ts).
 */
import * as path from 'node:path';
import type { NativeAddon } from './addon';

/** The CUDA module: a subset of the CPU addon's kernels (same signatures) plus device queries. */
export type CudaAddon = Partial<NativeAddon> & { cudaDeviceCount(): number; cudaDeviceName(): string };

interface CudaState {
  addon: CudaAddon | null;
  devices: number;
  /** Why the GPU backend is unavailable ('' when it is available). */
  why: string;
}

let state: CudaState | undefined;

function load(): CudaState {
  const file = path.resolve(__dirname, '..', '..', 'build-cuda', 'realabel_cuda.node');
  let addon: CudaAddon;
  try {
    addon = require(file) as CudaAddon;
  } catch (err) {
    const msg = err instanceof Error ? err.message.split('\n')[0] : String(err);
    return { addon: null, devices: 0, why: `the CUDA module is not available (${msg})` };
  }
  const devices = Number(addon.cudaDeviceCount());
  if (!(devices > 0)) return { addon, devices: 0, why: `no GPU: ${String(addon.cudaDeviceName())}` };
  return { addon, devices, why: '' };
}

function cuda(): CudaState {
  return (state ??= load());
}

/** The loaded CUDA module when a GPU is present, else null. */
export function cudaAddon(): CudaAddon | null {
  const s = cuda();
  return s.why ? null : s.addon;
}

/** Why `backend: 'cuda'` cannot run here ('' when it can). */
export function cudaUnavailable(): string {
  return cuda().why;
}
