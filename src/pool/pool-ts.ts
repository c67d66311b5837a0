/**
 * Pure-TypeScript twin of native/pool.cc: same encoding (flat index shifted
 * left by the tag bits, tag = source or "forced"), same scan, same output.
 * Keys are doubles, exact while n * c * 2^tagBits <= 2^53.
 */
import type { FlatPoolInput, Pooled } from './pool';

function bitsFor(v: number): number {
  let b = 0;
  while (v >= 2 ** b) b++;
  return b;
}

function encode(input: FlatPoolInput, tagBits: number): Float64Array {
  const { n, srcImage, srcLabel, srcOffsets, forced, c } = input;
  const sources = srcOffsets.length - 1;
  const forcedRows = forced.length / n;
  const shift = 2 ** tagBits;
  const keys: number[] = [];
  for (let s = 0; s < sources; s++) {
    for (let j = srcOffsets[s]; j < srcOffsets[s + 1]; j++) keys.push((srcImage[j] * c + srcLabel[j]) * shift + s);
  }
  const row = new Int32Array(forcedRows);
  for (let i = 0; i < n; i++) {
    for (let f = 0; f < forcedRows; f++) row[f] = forced[f * n + i];
    row.sort();
    for (let f = 0; f < forcedRows; f++) {
      if (f > 0 && row[f] === row[f - 1]) continue;
      keys.push((i * c + row[f]) * shift + sources);
    }
  }
  return Float64Array.from(keys).sort();
}

export function poolPairsTs(input: FlatPoolInput): Pooled {
  const { c, models, srcModel, minVotes } = input;
  const sources = srcModel.length;
  const tagBits = bitsFor(sources);
  const shift = 2 ** tagBits;
  if (input.n * c * shift > 2 ** 53) throw new RangeError('n * c * 2^tagBits exceeds 2^53 (TS twin limit)');
  const keys = encode(input, tagBits);
  const perModel = new Int32Array(models);
  for (let s = 0; s < sources; s++) perModel[srcModel[s]]++;
  let planes = 1;
  for (const k of perModel) planes = Math.max(planes, k);
  const words = (models + 31) >>> 5;

  // Groups of equal (image, label); tags ascending within a group.
  const starts: number[] = [];
  const ends: number[] = [];
  const groupVotes: number[] = [];
  for (let b = 0; b < keys.length; ) {
    const flat = Math.floor(keys[b] / shift);
    let e = b;
    let votes = 0;
    let forced = false;
    let prev = -1;
    for (; e < keys.length && Math.floor(keys[e] / shift) === flat; e++) {
      const tag = keys[e] - flat * shift;
      if (tag === prev) continue;
      prev = tag;
      if (tag === sources) forced = true;
      else votes++;
    }
    if (forced || votes >= minVotes) {
      starts.push(b);
      ends.push(e);
      groupVotes.push(votes);
    }
    b = e;
  }
  const P = starts.length;
  const image = new Int32Array(P);
  const label = new Int32Array(P);
  const votes = Int32Array.from(groupVotes);
  const masks = Array.from({ length: planes }, () => new Uint32Array(P * words));
  const count = new Int32Array(models);
  for (let p = 0; p < P; p++) {
    const flat = Math.floor(keys[starts[p]] / shift);
    image[p] = Math.floor(flat / c);
    label[p] = flat - image[p] * c;
    const touched: number[] = [];
    let prev = -1;
    for (let j = starts[p]; j < ends[p]; j++) {
      const tag = keys[j] - flat * shift;
      if (tag === prev || tag === sources) continue;
      prev = tag;
      const m = srcModel[tag];
      masks[count[m]++][p * words + (m >>> 5)] |= 1 << (m & 31);
      touched.push(m);
    }
    for (const m of touched) count[m] = 0;
  }
  return { image, label, votes, masks, models: masks[0], words, planes };
}
