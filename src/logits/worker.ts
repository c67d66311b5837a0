/**
 * Piscina worker for `realabel logits`: one onnxruntime-node session per
 * worker (created on first use, kept for the pool's life), sharp
 * preprocessing of a batch, one `session.run`, float32 logits back.
 *
 * Errors cannot cross the thread boundary with their types, so per-image
 * failures come back as data (`bad`) and the main thread decides whether to
 * throw (naming the file) or record them (--skip-bad).
 */
import * as ort from 'onnxruntime-node';
import { RealabelError } from '../errors';
import { loadRgb, normaliseInto, normaliseTable, type PreprocessOptions } from './preprocess';

export interface SessionSpec {
  model: string;
  intraOpThreads: number;
}

export interface ValueInfo {
  name: string;
  isTensor: boolean;
  type?: string;
  shape?: Array<number | string>;
}

export interface ProbeSpec {
  inputName: string;
  outputName: string;
  dims: number[];
}

export interface InspectTask extends SessionSpec {
  /** Run zeros of these dims through the model to learn the output shape. */
  probe?: ProbeSpec;
}

export type InspectResult =
  | { ok: true; inputs: ValueInfo[]; outputs: ValueInfo[]; probeDims?: number[]; probeError?: string }
  | { ok: false; error: string };

export interface BatchTask extends SessionSpec {
  files: string[];
  inputName: string;
  outputName: string;
  pre: PreprocessOptions;
  /** Batch dimension fed to the model (>= files.length; rows past the files are zeros). */
  padTo: number;
}

export interface BadImage {
  /** Index within the batch. */
  index: number;
  /** The problem, without the file name. */
  message: string;
  /** RealabelError code (E_FORMAT, E_UNSUPPORTED). */
  code?: string;
}

export interface BatchTimings {
  /** Decode + orient + resize + crop (sharp), wall time for the batch. */
  decode: number;
  normalise: number;
  infer: number;
}

export interface BatchResult {
  /** [files.length, classes] row-major. */
  logits: Float32Array;
  classes: number;
  bad: BadImage[];
  ms: BatchTimings;
}

const sessions = new Map<string, Promise<ort.InferenceSession>>();

function session(spec: SessionSpec): Promise<ort.InferenceSession> {
  const key = `${spec.intraOpThreads}\0${spec.model}`;
  let s = sessions.get(key);
  if (!s) {
    s = ort.InferenceSession.create(spec.model, {
      intraOpNumThreads: spec.intraOpThreads,
      interOpNumThreads: 1,
      executionMode: 'sequential',
      graphOptimizationLevel: 'all',
      logSeverityLevel: 3,
    });
    // A failed load is reported once; the next task may retry.
    s.catch(() => sessions.delete(key));
    sessions.set(key, s);
  }
  return s;
}

function message(err: unknown): string {
  const m = (err as Error)?.message ?? String(err);
  return m.split('\n')[0].trim();
}

function badImage(index: number, err: unknown): BadImage {
  if (err instanceof RealabelError) {
    const prefix = err.file ? `${err.file}: ` : '';
    const m = err.message.startsWith(prefix) ? err.message.slice(prefix.length) : err.message;
    return { index, message: m, code: err.code };
  }
  return { index, message: message(err) };
}

/** Loads the model and reports its inputs/outputs (and a probe run's output dims). */
export async function inspect(task: InspectTask): Promise<InspectResult> {
  let s: ort.InferenceSession;
  try {
    s = await session(task);
  } catch (err) {
    return { ok: false, error: message(err) };
  }
  const info = (m: ort.InferenceSession.ValueMetadata): ValueInfo =>
    m.isTensor ? { name: m.name, isTensor: true, type: m.type, shape: [...m.shape] } : { name: m.name, isTensor: false };
  const result: InspectResult = { ok: true, inputs: s.inputMetadata.map(info), outputs: s.outputMetadata.map(info) };
  if (task.probe) {
    const { inputName, outputName, dims } = task.probe;
    try {
      const x = new ort.Tensor('float32', new Float32Array(dims.reduce((a, b) => a * b, 1)), dims);
      const out = await s.run({ [inputName]: x }, [outputName]);
      result.probeDims = [...out[outputName].dims];
    } catch (err) {
      result.probeError = message(err);
    }
  }
  return result;
}

/** Preprocesses a batch into one float32 tensor; failed images stay zero. */
async function preprocessBatch(task: Pick<BatchTask, 'files' | 'pre' | 'padTo'>, ms: BatchTimings) {
  const { inputSize: size, layout } = task.pre;
  const per = 3 * size * size;
  const input = new Float32Array(task.padTo * per);
  const bad: BadImage[] = [];
  let t = performance.now();
  const pixels = await Promise.all(
    task.files.map((f, index) =>
      loadRgb(f, task.pre).catch((err) => {
        bad.push(badImage(index, err));
        return null;
      }),
    ),
  );
  ms.decode += performance.now() - t;
  t = performance.now();
  const table = normaliseTable(task.pre);
  pixels.forEach((rgb, i) => rgb && normaliseInto(rgb, size, layout, table, input, i * per));
  ms.normalise += performance.now() - t;
  bad.sort((a, b) => a.index - b.index);
  return { input, bad };
}

/** The default task: one batch of images → logits. */
export default async function runBatch(task: BatchTask): Promise<BatchResult> {
  const ms: BatchTimings = { decode: 0, normalise: 0, infer: 0 };
  const s = await session(task);
  const { input, bad } = await preprocessBatch(task, ms);
  const { inputSize: size, layout } = task.pre;
  const dims = layout === 'nhwc' ? [task.padTo, size, size, 3] : [task.padTo, 3, size, size];
  const t = performance.now();
  const out = await s.run({ [task.inputName]: new ort.Tensor('float32', input, dims) }, [task.outputName]);
  ms.infer += performance.now() - t;
  const y = out[task.outputName];
  if (y.type !== 'float32' || y.dims.length !== 2 || y.dims[0] !== task.padTo) {
    throw new Error(`output '${task.outputName}' has type ${y.type} and shape [${y.dims.join(', ')}], expected float32 [${task.padTo}, C]`);
  }
  const classes = y.dims[1];
  const all = y.data as Float32Array;
  const logits = new Float32Array(all.subarray(0, task.files.length * classes));
  y.dispose();
  return { logits, classes, bad, ms };
}

/** Preprocessing only (benchmarks): returns a checksum so the work is not optimised away. */
export async function preprocessOnly(task: Pick<BatchTask, 'files' | 'pre'>): Promise<{ checksum: number; bad: number; ms: BatchTimings }> {
  const ms: BatchTimings = { decode: 0, normalise: 0, infer: 0 };
  const { input, bad } = await preprocessBatch({ ...task, padTo: task.files.length }, ms);
  let checksum = 0;
  for (let i = 0; i < input.length; i += 97) checksum += input[i];
  return { checksum, bad: bad.length, ms };
}
