import * as path from 'node:path';
import { borrowBuffer, giveBack, pooledBuffers } from '../../src/io/buffer-pool';
import { NpyReader, ndarray, writeNpy } from '../../src/io/npy';
import { openPredictions, readScoreChunks } from '../../src/evaluate/npy-source';
import { tmpDir } from '../helpers/tmp';

describe('buffer pool', () => {
  const dir = tmpDir();
  it('lends a given-back buffer again instead of allocating, the smallest that fits', () => {
    const small = borrowBuffer(100);
    const big = borrowBuffer(1000);
    giveBack(big);
    giveBack(small);
    expect(borrowBuffer(50)).toBe(small);
    expect(borrowBuffer(500)).toBe(big);
    // Nothing left that fits: a fresh one, never a lent one.
    const fresh = borrowBuffer(2000);
    expect(fresh).not.toBe(big);
    expect(fresh.length).toBe(2000);
  });

  it('never lends one buffer twice, nor keeps views, duplicates or more than a few', () => {
    const a = borrowBuffer(64);
    giveBack(a);
    giveBack(a);
    giveBack(a.subarray(8));
    const x = borrowBuffer(64);
    const y = borrowBuffer(64);
    expect(x).toBe(a);
    expect(y).not.toBe(a);
    for (let i = 0; i < 10; i++) giveBack(new Uint8Array(16 + i));
    expect(pooledBuffers()).toBeLessThanOrEqual(4);
    while (pooledBuffers() > 0) borrowBuffer(1);
  });

  it('chunked readers hand their buffers back, so the next file reuses them', () => {
    const files = [0, 1].map((m) => {
      const file = path.join(dir, `m${m}.npy`);
      writeNpy(file, ndarray(Float32Array.from({ length: 9 * 4 }, (_, i) => i + m), [9, 4]));
      return file;
    });
    const used = new Set<ArrayBufferLike>();
    for (const [m, file] of files.entries()) {
      const opened = openPredictions(file);
      const reader = NpyReader.open(file);
      try {
        const seen: number[] = [];
        for (const chunk of readScoreChunks(reader, 4)) {
          used.add(chunk.scores.buffer);
          seen.push(...Array.from(chunk.scores));
        }
        expect(seen).toEqual(Array.from({ length: 36 }, (_, i) => i + m));
        for (const chunk of reader.rowChunks(4)) used.add((chunk.data as Float32Array).buffer);
      } finally {
        reader.close();
        opened.close();
      }
    }
    expect(used.size).toBe(1);
    expect(pooledBuffers()).toBe(1);
  });
});
