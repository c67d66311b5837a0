/**
 * Reads the pairs to rate from a proposals file: `image` and `label` (any
 * integer dtype), optionally `top1` [M, N] and `original` [N]. The published
 * ReaL layout (`info` [P, 2]: ImageNet validation file name, label as a
 * decimal string, as in scores.npz) is accepted too, so the paper's proposal
 * sets can be split directly.
 */
import { FormatError } from '../errors';
import { toInt32 } from '../io/convert';
import type { NdArray } from '../io/npy';
import { NpzReader } from '../io/npz';
import { imageIndexOf } from '../io/imagenet-files';
import type { TasksInput } from './tasks';

export async function readProposalPairs(file: string): Promise<TasksInput> {
  const npz = NpzReader.open(file);
  try {
    const arrays: Record<string, NdArray> = {};
    for (const name of membersToRead(npz)) arrays[name] = await npz.readAsync(name); // native zlib: ~3x fflate
    return fromMembers(arrays, file);
  } finally {
    npz.close();
  }
}

/** Synchronous readProposalPairs (slower inflate). */
export function readProposalPairsSync(file: string): TasksInput {
  const npz = NpzReader.open(file);
  try {
    const arrays: Record<string, NdArray> = {};
    for (const name of membersToRead(npz)) arrays[name] = npz.read(name);
    return fromMembers(arrays, file);
  } finally {
    npz.close();
  }
}

function membersToRead(npz: NpzReader): string[] {
  const names = new Set(npz.names());
  const pairs = names.has('image') || !names.has('info') ? ['image', 'label'] : ['info'];
  return [...pairs, ...['top1', 'original'].filter((n) => names.has(n))];
}

function fromMembers(a: Record<string, NdArray>, file: string): TasksInput {
  const input = a.info ? pairsFromInfo(a.info, file) : { image: vector(a.image, file, 'image'), label: vector(a.label, file, 'label') };
  if (a.top1) {
    if (a.top1.shape.length !== 2) throw new FormatError(`'top1' must be 2-D [models, images], got shape (${a.top1.shape.join(', ')})`, file);
    input.top1 = { data: toInt32(a.top1, file, 'top1'), models: a.top1.shape[0], n: a.top1.shape[1] };
  }
  if (a.original) input.original = vector(a.original, file, 'original');
  return input;
}

function vector(arr: NdArray, file: string, what: string): Int32Array {
  if (arr.shape.length !== 1) throw new FormatError(`'${what}' must be 1-D, got shape (${arr.shape.join(', ')})`, file);
  return toInt32(arr, file, what);
}

/** `info` rows (ILSVRC2012_val_XXXXXXXX.JPEG, "label") → image XXXXXXXX − 1, label. */
export function pairsFromInfo(info: NdArray, file?: string): TasksInput {
  if (!Array.isArray(info.data) || info.shape.length !== 2 || info.shape[1] !== 2) {
    throw new FormatError(`'info' must be a [P, 2] string array (file name, label), got ${info.dtype} (${info.shape.join(', ')})`, file);
  }
  const rows = info.shape[0];
  const image = new Int32Array(rows);
  const label = new Int32Array(rows);
  for (let i = 0; i < rows; i++) {
    const name = info.data[2 * i];
    const im = imageIndexOf(name);
    if (im === undefined || im < 0) throw new FormatError(`info[${i}]: '${name}' is not an ILSVRC2012_val_XXXXXXXX.JPEG file name`, file);
    const l = info.data[2 * i + 1];
    if (!/^\d+$/.test(l)) throw new FormatError(`info[${i}]: label '${l}' is not a decimal class index`, file);
    if (Number(l) > 2 ** 31 - 1) throw new FormatError(`info[${i}]: label ${l} does not fit in int32`, file);
    image[i] = im;
    label[i] = Number(l);
  }
  return { image, label };
}
