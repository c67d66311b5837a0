import * as fs from 'node:fs';
import * as path from 'node:path';
import sharp from 'sharp';
import {
  cropOffset,
  IMAGENET_MEAN,
  IMAGENET_STD,
  loadRgb,
  preprocessImage,
  resizedSize,
  resolvePreprocess,
} from '../../src/logits/preprocess';
import { tmpDir } from '../helpers/tmp';
import { halves, pattern, writeCorrupt } from './fixtures';

const dir = tmpDir('realabel-pre-');
const raw = (width: number, height: number, channels: 1 | 3 | 4 = 3) => ({ raw: { width, height, channels } });

/** The reference: (v / 255 - mean) / std, by hand, in float64. */
const norm = (v: number, c: number, mean = IMAGENET_MEAN, std = IMAGENET_STD) => (v / 255 - mean[c]) / std[c];

describe('sizes follow torchvision Resize + CenterCrop', () => {
  test('shorter side to resize, longer side truncated', () => {
    expect(resizedSize(500, 375, 256)).toEqual({ width: 341, height: 256 }); // int(256*500/375) = 341
    expect(resizedSize(375, 500, 256)).toEqual({ width: 256, height: 341 });
    expect(resizedSize(300, 300, 256)).toEqual({ width: 256, height: 256 });
    expect(resizedSize(100, 333, 32)).toEqual({ width: 32, height: 106 }); // 106.56
  });
  test('crop offset rounds half to even like Python round()', () => {
    expect(cropOffset(256, 224)).toBe(16);
    expect(cropOffset(341, 224)).toBe(58); // round(58.5) = 58
    expect(cropOffset(257, 224)).toBe(16); // round(16.5) = 16
    expect(cropOffset(259, 224)).toBe(18); // round(17.5) = 18
    expect(cropOffset(224, 224)).toBe(0);
  });
  test('options are validated', () => {
    expect(() => resolvePreprocess({ resize: 100, inputSize: 224 })).toThrow(/`resize`/);
    expect(() => resolvePreprocess({ std: [1, 0, 1] })).toThrow(/`std`/);
    expect(() => resolvePreprocess({ mean: [1, 2] })).toThrow(/`mean`/);
  });
});

describe('known pixel values', () => {
  // 300 wide × 256 tall with resize 256: the resize is the identity, so the
  // crop's values are the file's pixels at offsets (38, 16), normalised.
  const W = 300;
  const H = 256;
  const S = 224;
  const px = pattern(W, H, 7);
  const expected = (layout: 'nchw' | 'nhwc'): Float64Array => {
    const e = new Float64Array(3 * S * S);
    for (let y = 0; y < S; y++) {
      for (let x = 0; x < S; x++) {
        for (let c = 0; c < 3; c++) {
          const v = px[((y + 16) * W + (x + 38)) * 3 + c];
          e[layout === 'nchw' ? (c * S + y) * S + x : (y * S + x) * 3 + c] = norm(v, c);
        }
      }
    }
    return e;
  };

  test.each(['png', 'webp'] as const)('lossless %s, NCHW and NHWC', async (fmt) => {
    const file = path.join(dir, `known.${fmt}`);
    const img = sharp(px, raw(W, H));
    await (fmt === 'png' ? img.png() : img.webp({ lossless: true })).toFile(file);
    for (const layout of ['nchw', 'nhwc'] as const) {
      const got = await preprocessImage(file, { layout });
      const want = expected(layout);
      expect(got.length).toBe(want.length);
      let maxErr = 0;
      for (let i = 0; i < got.length; i++) maxErr = Math.max(maxErr, Math.abs(got[i] - want[i]));
      expect(maxErr).toBeLessThan(1e-6); // float32 rounding of the float64 reference
    }
  });

  test('custom mean/std', async () => {
    const file = path.join(dir, 'known.png');
    const mean = [0.5, 0.5, 0.5];
    const std = [0.25, 0.5, 1];
    const got = await preprocessImage(file, { mean, std });
    const v = px[(16 * W + 38) * 3 + 1]; // channel 1 at crop (0, 0)
    expect(got[S * S]).toBeCloseTo(norm(v, 1, mean, std), 6);
  });

  test('a flat colour stays exactly that colour through a real resize', async () => {
    const file = path.join(dir, 'flat.png');
    const flat = Buffer.alloc(500 * 375 * 3);
    for (let i = 0; i < 500 * 375; i++) flat.set([10, 200, 30], i * 3);
    await sharp(flat, raw(500, 375)).png().toFile(file);
    const got = await preprocessImage(file);
    for (const [c, v] of [10, 200, 30].entries()) {
      const plane = got.subarray(c * S * S, (c + 1) * S * S);
      expect(Math.min(...plane)).toBeCloseTo(norm(v, c), 6);
      expect(Math.max(...plane)).toBeCloseTo(norm(v, c), 6);
    }
  });
});

describe('colour and orientation', () => {
  const opts = resolvePreprocess({ inputSize: 32, resize: 32 });

  test('grayscale becomes three equal channels', async () => {
    const file = path.join(dir, 'gray.png');
    await sharp(pattern(40, 40, 3), raw(40, 40)).toColourspace('b-w').png().toFile(file);
    expect((await sharp(file).metadata()).channels).toBe(1);
    const rgb = await loadRgb(file, opts);
    expect(rgb.length).toBe(32 * 32 * 3);
    for (let i = 0; i < rgb.length; i += 3) {
      expect(rgb[i + 1]).toBe(rgb[i]);
      expect(rgb[i + 2]).toBe(rgb[i]);
    }
  });

  test('CMYK JPEG becomes RGB close to the original colours', async () => {
    const file = path.join(dir, 'cmyk.jpg');
    const flat = Buffer.alloc(40 * 40 * 3);
    for (let i = 0; i < 1600; i++) flat.set([200, 40, 60], i * 3);
    await sharp(flat, raw(40, 40)).toColourspace('cmyk').jpeg({ quality: 100 }).toFile(file);
    expect((await sharp(file).metadata()).space).toBe('cmyk');
    const rgb = await loadRgb(file, opts);
    const mid = (16 * 32 + 16) * 3;
    expect(Math.abs(rgb[mid] - 200)).toBeLessThan(20);
    expect(Math.abs(rgb[mid + 1] - 40)).toBeLessThan(20);
    expect(Math.abs(rgb[mid + 2] - 60)).toBeLessThan(20);
  });

  test('alpha is dropped', async () => {
    const file = path.join(dir, 'alpha.png');
    const rgba = Buffer.alloc(32 * 32 * 4);
    for (let i = 0; i < 1024; i++) rgba.set([30, 60, 90, i % 2 ? 0 : 255], i * 4);
    await sharp(rgba, raw(32, 32, 4)).png().toFile(file);
    const rgb = await loadRgb(file, opts);
    expect(Array.from(rgb.subarray(0, 6))).toEqual([30, 60, 90, 30, 60, 90]);
  });

  test('EXIF orientation is applied before resize and crop', async () => {
    // Stored 80×40, left half red, right half blue; orientation 6 displays it
    // rotated 90° clockwise: 40 wide × 80 tall, red on top.
    const file = path.join(dir, 'exif6.jpg');
    await sharp(halves(80, 40, [220, 20, 20], [20, 20, 220]), raw(80, 40)).jpeg({ quality: 95 }).withMetadata({ orientation: 6 }).toFile(file);
    expect((await sharp(file).metadata()).orientation).toBe(6);
    // resize 32: 32 × 64, center crop rows 16..47: rows 0..15 red, 16..31 blue.
    const rgb = await loadRgb(file, opts);
    const at = (y: number, x: number) => Array.from(rgb.subarray((y * 32 + x) * 3, (y * 32 + x) * 3 + 3));
    const red = at(4, 16);
    const blue = at(28, 16);
    expect(red[0]).toBeGreaterThan(180);
    expect(red[2]).toBeLessThan(60);
    expect(blue[2]).toBeGreaterThan(180);
    expect(blue[0]).toBeLessThan(60);
    // Left and right columns of the same row agree (no left/right split any more).
    expect(Math.abs(at(4, 1)[0] - at(4, 30)[0])).toBeLessThan(20);
  });
});

describe('bad input', () => {
  const opts = resolvePreprocess({ inputSize: 32, resize: 32 });

  test('a truncated JPEG is a FormatError naming the file', async () => {
    const file = path.join(dir, 'broken.jpg');
    await writeCorrupt(file);
    await expect(loadRgb(file, opts)).rejects.toMatchObject({ name: 'FormatError', file });
    await expect(loadRgb(file, opts)).rejects.toThrow(/broken\.jpg: cannot decode image/);
  });

  test('a text file with an image name', async () => {
    const file = path.join(dir, 'text.png');
    fs.writeFileSync(file, 'hello');
    await expect(loadRgb(file, opts)).rejects.toMatchObject({ name: 'FormatError', file });
  });

  test('a missing file', async () => {
    const file = path.join(dir, 'missing.jpg');
    await expect(loadRgb(file, opts)).rejects.toThrow(/missing\.jpg: image file not found/);
  });

  test('an unsupported format (GIF)', async () => {
    const file = path.join(dir, 'anim.gif');
    await sharp(pattern(32, 32, 1), raw(32, 32)).gif().toFile(file);
    await expect(loadRgb(file, opts)).rejects.toMatchObject({ name: 'UnsupportedError', file });
  });
});
