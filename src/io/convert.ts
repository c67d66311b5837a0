/** Conversions from decoded NumPy arrays to the typed arrays the kernels take. */
import { FormatError, UnsupportedError, ValidationError } from '../errors';
import type { NdArray } from './npy';

const INT_DTYPES = new Set(['i1', 'i2', 'i4', 'i8', 'u1', 'u2', 'u4', 'u8']);

/** An integer array as Int32Array; values must fit in int32. */
export function toInt32(arr: NdArray, file?: string, what = 'array'): Int32Array {
  if (!INT_DTYPES.has(arr.dtype)) {
    throw new UnsupportedError(`${what} must have an integer dtype, got '${arr.dtype}'`, file);
  }
  const src = arr.data;
  if (src instanceof Int32Array) return src;
  const out = new Int32Array(src.length);
  for (let i = 0; i < src.length; i++) {
    const v = Number(src[i] as number | bigint);
    if (v < -2147483648 || v > 2147483647) throw new ValidationError(`${what}[${i}] = ${v} does not fit in int32`, file);
    out[i] = v;
  }
  return out;
}

/** A 2-D float array [N, C] (f2/f4 → Float32Array, f8 → Float64Array). */
export function toFloatMatrix(arr: NdArray, file?: string): { data: Float32Array | Float64Array; n: number; c: number } {
  if (arr.dtype !== 'f2' && arr.dtype !== 'f4' && arr.dtype !== 'f8') {
    throw new UnsupportedError(`expected a float matrix (f2, f4 or f8), got dtype '${arr.dtype}'`, file);
  }
  if (arr.shape.length !== 2) {
    throw new FormatError(`expected a 2-D matrix [N, C], got shape (${arr.shape.join(', ')})`, file);
  }
  return { data: arr.data as Float32Array | Float64Array, n: arr.shape[0], c: arr.shape[1] };
}

/** Checks that every label is in [0, numClasses). */
export function checkLabelRange(labels: Int32Array, numClasses: number, file?: string, what = 'label'): void {
  for (let i = 0; i < labels.length; i++) {
    const v = labels[i];
    if (v < 0 || v >= numClasses) {
      throw new ValidationError(`${what} ${v} at index ${i} is out of range [0, ${numClasses})`, file);
    }
  }
}
