/**
 * Model/input compatibility, checked before any image is read: the input
 * exists, is float32 and has the shape the preprocessing produces; the
 * output is 2-D [batch, classes] (learned from a probe run on zeros) and has
 * `--classes` columns when given.
 */
import * as fs from 'node:fs';
import { FormatError, UsageError, ValidationError } from '../errors';
import type { Layout } from './preprocess';
import type { InspectResult, ValueInfo } from './worker';

export interface ModelIo {
  inputName: string;
  outputName: string;
  /** The model's fixed batch dimension, when it has one. */
  fixedBatch?: number;
}

export function checkModelFile(model: string): void {
  let st: fs.Stats;
  try {
    st = fs.statSync(model);
  } catch {
    throw new FormatError('model file not found', model);
  }
  if (!st.isFile()) throw new FormatError('model path is not a file', model);
}

function names(list: ValueInfo[]): string {
  return list.map((v) => `'${v.name}'`).join(', ');
}

function pick(list: ValueInfo[], wanted: string | undefined, what: 'input' | 'output', model: string): ValueInfo {
  if (wanted !== undefined) {
    const v = list.find((x) => x.name === wanted);
    if (!v) throw new ValidationError(`model has no ${what} '${wanted}' (its ${what}s: ${names(list)})`, model);
    return v;
  }
  if (what === 'input' && list.length !== 1) {
    throw new UsageError(`${model}: model has ${list.length} inputs (${names(list)}); choose one with \`inputName\``);
  }
  if (list.length === 0) throw new ValidationError(`model has no ${what}s`, model);
  return list[0];
}

const fixedDim = (d: number | string | undefined): number | undefined => (typeof d === 'number' && d > 0 ? d : undefined);

function shapeText(shape: Array<number | string>): string {
  return `[${shape.map((d) => (typeof d === 'number' && d > 0 ? d : typeof d === 'string' && d ? d : '?')).join(', ')}]`;
}

/** Checks the declared input against the preprocessing and picks the input/output names. */
export function checkDeclared(
  info: Extract<InspectResult, { ok: true }>,
  opts: { model: string; inputName?: string; outputName?: string; inputSize: number; layout: Layout },
): ModelIo {
  const { model, inputSize: s, layout } = opts;
  const input = pick(info.inputs, opts.inputName, 'input', model);
  const output = pick(info.outputs, opts.outputName, 'output', model);
  for (const [v, what] of [[input, 'input'], [output, 'output']] as const) {
    if (!v.isTensor || v.type !== 'float32') {
      throw new ValidationError(`model ${what} '${v.name}' is ${v.isTensor ? v.type : 'not a tensor'}; realabel needs float32`, model);
    }
  }
  const shape = input.shape ?? [];
  const want = layout === 'nhwc' ? ['N', s, s, 3] : ['N', 3, s, s];
  const wantText = `[N, ${want.slice(1).join(', ')}] (${layout.toUpperCase()}, \`inputSize\` ${s})`;
  if (shape.length !== 4) {
    throw new ValidationError(`model input '${input.name}' has shape ${shapeText(shape)}, expected ${wantText}`, model);
  }
  for (let i = 1; i < 4; i++) {
    const d = fixedDim(shape[i]);
    if (d !== undefined && d !== want[i]) {
      const other = layout === 'nhwc' ? fixedDim(shape[1]) === 3 : fixedDim(shape[3]) === 3;
      const hint = other ? `; try \`layout\` ${layout === 'nhwc' ? 'nchw' : 'nhwc'}` : '';
      throw new ValidationError(`model input '${input.name}' has shape ${shapeText(shape)}, expected ${wantText}${hint}`, model);
    }
  }
  return { inputName: input.name, outputName: output.name, fixedBatch: fixedDim(shape[0]) };
}

/** Checks the probe run's output: 2-D, batch-major, with the expected class count. */
export function checkProbe(
  info: Extract<InspectResult, { ok: true }>,
  io: ModelIo,
  probeBatch: number,
  opts: { model: string; classes?: number; inputDims: number[] },
): number {
  const { model } = opts;
  if (info.probeError !== undefined) {
    throw new ValidationError(`model failed on a float32 [${opts.inputDims.join(', ')}] input: ${info.probeError}`, model);
  }
  const dims = info.probeDims ?? [];
  if (dims.length !== 2 || dims[0] !== probeBatch || dims[1] < 1) {
    throw new ValidationError(
      `model output '${io.outputName}' has shape [${dims.join(', ')}] for a batch of ${probeBatch}; expected 2-D [batch, classes]`,
      model,
    );
  }
  if (opts.classes !== undefined && dims[1] !== opts.classes) {
    throw new ValidationError(`model output '${io.outputName}' has ${dims[1]} classes, expected ${opts.classes} (\`classes\`)`, model);
  }
  return dims[1];
}
