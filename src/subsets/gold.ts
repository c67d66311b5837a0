/**
 * Expert gold answers (golden.npz): `tensor` [R, Q, 3] one-hot answers in the
 * order (no, maybe, yes), all zeros where an expert did not answer; `info`
 * [Q, 2] strings (file name ILSVRC2012_val_XXXXXXXX.JPEG, label index). A
 * question is a gold positive when at least `minYes` experts said yes.
 */
import { FormatError, ValidationError } from '../errors';
import { imageIndexOf } from '../io/imagenet-files';
import { readNpz } from '../io/npz';

export interface Gold {
  file: string;
  experts: number;
  /** Question q is (image[q], label[q]); questions are unique. */
  image: Int32Array;
  label: Int32Array;
  yes: Int32Array;
  positive: Uint8Array;
  minYes: number;
}

/** What select-models needs of a gold set: its questions and which are positive (e.g. built in memory). */
export type GoldQuestions = Pick<Gold, 'image' | 'label' | 'positive'> & { file?: string };

/** Checks gold questions given in memory: equal lengths, indices >= 0, positive 0 or 1. */
export function checkGoldQuestions(g: GoldQuestions): void {
  const { image, label, positive } = g;
  if (!(image instanceof Int32Array) || !(label instanceof Int32Array) || !(positive instanceof Uint8Array)) {
    throw new ValidationError('gold questions need image, label (Int32Array) and positive (Uint8Array)', g.file);
  }
  if (label.length !== image.length || positive.length !== image.length) {
    throw new ValidationError(`gold image (${image.length}), label (${label.length}) and positive (${positive.length}) differ in length`, g.file);
  }
  for (let q = 0; q < image.length; q++) {
    if (image[q] < 0 || label[q] < 0) throw new ValidationError(`gold question ${q} has a negative image or label`, g.file);
    if (positive[q] > 1) throw new ValidationError(`gold question ${q}: positive must be 0 or 1, got ${positive[q]}`, g.file);
  }
}

export function readGold(file: string, opts: { minYes?: number } = {}): Gold {
  const minYes = opts.minYes ?? 3;
  const { tensor, info } = readNpz(file, ['tensor', 'info']);
  if (tensor.shape.length !== 3 || tensor.shape[2] !== 3 || !(tensor.data instanceof Float64Array || tensor.data instanceof Float32Array)) {
    throw new FormatError(`'tensor' must be float [R, Q, 3], got ${tensor.dtype} (${tensor.shape.join(', ')})`, file);
  }
  const [R, Q] = tensor.shape;
  if (!Array.isArray(info.data) || info.shape.length !== 2 || info.shape[0] !== Q || info.shape[1] !== 2) {
    throw new FormatError(`'info' must be strings [${Q}, 2], got ${info.dtype} (${info.shape.join(', ')})`, file);
  }
  if (!Number.isInteger(minYes) || minYes < 1 || minYes > R) {
    throw new ValidationError(`\`minYes\` must be in [1, ${R}] (the experts in this file), got ${minYes}`, file);
  }
  const names = info.data as string[];
  const image = new Int32Array(Q);
  const label = new Int32Array(Q);
  const seen = new Set<string>();
  for (let q = 0; q < Q; q++) {
    const im = imageIndexOf(names[2 * q]);
    if (im === undefined || im < 0) throw new FormatError(`question ${q}: '${names[2 * q]}' is not an ILSVRC2012_val_XXXXXXXX.JPEG name`, file);
    if (!/^\d+$/.test(names[2 * q + 1])) throw new FormatError(`question ${q}: label '${names[2 * q + 1]}' is not a class index`, file);
    if (Number(names[2 * q + 1]) > 2 ** 31 - 1) throw new FormatError(`question ${q}: label ${names[2 * q + 1]} does not fit in int32`, file);
    image[q] = im;
    label[q] = Number(names[2 * q + 1]);
    const key = `${im},${label[q]}`;
    if (seen.has(key)) throw new ValidationError(`question ${q} repeats (image ${im}, label ${label[q]})`, file);
    seen.add(key);
  }
  const t = tensor.data as Float64Array | Float32Array;
  const yes = new Int32Array(Q);
  for (let r = 0; r < R; r++) for (let q = 0; q < Q; q++) if (t[(r * Q + q) * 3 + 2] > 0.5) yes[q]++;
  const positive = Uint8Array.from(yes, (y) => (y >= minYes ? 1 : 0));
  return { file, experts: R, image, label, yes, positive, minYes };
}
