/**
 * proposals.npz: image, label, votes int32 [P] (sorted by image, label);
 * models and models_both uint32, [P] when M <= 32 else [P, ceil(M / 32)]
 * (bit m % 32 of word m / 32 = model m; models_both: both of the model's
 * sources, so votes = popcount(models) + popcount(models_both)); top1 int32
 * [M, N]; original int32 [N]; model_names <U [M]; k, min_votes and
 * num_classes int32 [1].
 */
import { FormatError } from '../errors';
import { toInt32 } from '../io/convert';
import { NpzReader, writeNpz } from '../io/npz';
import type { NdArray } from '../io/npy';
import type { Proposals } from './propose';
import { unicodeWidth } from '../util/extent';

export function writeProposals(file: string, p: Proposals): void {
  const P = p.image.length;
  const M = p.modelNames.length;
  const maskShape = p.words === 1 ? [P] : [P, p.words];
  const width = unicodeWidth(p.modelNames);
  writeNpz(file, {
    image: { dtype: 'i4', shape: [P], data: p.image },
    label: { dtype: 'i4', shape: [P], data: p.label },
    votes: { dtype: 'i4', shape: [P], data: p.votes },
    models: { dtype: 'u4', shape: maskShape, data: p.models },
    models_both: { dtype: 'u4', shape: maskShape, data: p.modelsBoth },
    top1: { dtype: 'i4', shape: [M, p.n], data: p.top1 },
    original: { dtype: 'i4', shape: [p.n], data: p.original },
    model_names: { dtype: `U${width}`, shape: [M], data: p.modelNames },
    k: { dtype: 'i4', shape: [1], data: Int32Array.of(p.k) },
    min_votes: { dtype: 'i4', shape: [1], data: Int32Array.of(p.minVotes) },
    num_classes: { dtype: 'i4', shape: [1], data: Int32Array.of(p.c) },
  });
}

function member(r: NpzReader, name: string): NdArray {
  return r.read(name);
}

function int32Of(r: NpzReader, name: string, shape?: number[]): Int32Array {
  const arr = member(r, name);
  if (shape && (arr.shape.length !== shape.length || arr.shape.some((d, i) => d !== shape[i]))) {
    throw new FormatError(`'${name}' has shape (${arr.shape.join(', ')}), expected (${shape.join(', ')})`, r.file);
  }
  return toInt32(arr, r.file, name);
}

function maskOf(r: NpzReader, name: string, P: number, words: number): Uint32Array {
  const arr = member(r, name);
  const ok = words === 1 ? arr.shape.length === 1 || (arr.shape.length === 2 && arr.shape[1] === 1) : arr.shape.length === 2 && arr.shape[1] === words;
  if (arr.dtype !== 'u4' || !ok || arr.shape[0] !== P) {
    throw new FormatError(`'${name}' must be uint32 [${P}${words > 1 ? `, ${words}` : ''}], got ${arr.dtype} (${arr.shape.join(', ')})`, r.file);
  }
  return arr.data as Uint32Array;
}

/** Reads a proposals.npz written by `propose`, checking that its arrays agree. */
export function readProposals(file: string): Proposals {
  const r = NpzReader.open(file);
  try {
    const image = int32Of(r, 'image');
    const P = image.length;
    const label = int32Of(r, 'label', [P]);
    const votes = int32Of(r, 'votes', [P]);
    const original = int32Of(r, 'original');
    const n = original.length;
    const namesArr = member(r, 'model_names');
    if (!Array.isArray(namesArr.data)) throw new FormatError(`'model_names' must be strings`, file);
    const modelNames = namesArr.data as string[];
    const M = modelNames.length;
    const top1 = int32Of(r, 'top1', [M, n]);
    const words = Math.max(1, Math.ceil(M / 32));
    const models = maskOf(r, 'models', P, words);
    const modelsBoth = maskOf(r, 'models_both', P, words);
    const k = int32Of(r, 'k', [1])[0];
    const minVotes = int32Of(r, 'min_votes', [1])[0];
    const c = int32Of(r, 'num_classes', [1])[0];
    for (let p = 0; p < P; p++) {
      if (image[p] < 0 || image[p] >= n || label[p] < 0 || label[p] >= c) {
        throw new FormatError(`pair ${p} (image ${image[p]}, label ${label[p]}) is out of range`, file);
      }
      if (p > 0 && (image[p] < image[p - 1] || (image[p] === image[p - 1] && label[p] <= label[p - 1]))) {
        throw new FormatError(`pairs are not sorted by (image, label) at ${p}`, file);
      }
    }
    return { n, c, k, minVotes, modelNames, image, label, votes, words, models, modelsBoth, top1, original };
  } finally {
    r.close();
  }
}
