/**
 * Test images generated with sharp: every format and colour case the
 * preprocessing must handle, with deterministic pixel content.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import sharp from 'sharp';
import { readNpy } from '../../src/io/npy';
import { rng } from './onnx-model';

/** Raw RGB pixels: a smooth pattern plus seeded noise, so crops differ per image. */
export function pattern(width: number, height: number, seed: number): Buffer {
  const next = rng(seed);
  const px = new Uint8Array(width * height * 3);
  const a = 1 + Math.floor(next() * 5);
  const b = 1 + Math.floor(next() * 5);
  let h = (seed * 2654435761) >>> 0;
  for (let y = 0, i = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      for (let c = 0; c < 3; c++, i++) {
        h = (Math.imul(h, 1664525) + 1013904223) >>> 0; // LCG noise: cheap and seeded
        px[i] = (x * a + y * b + c * 70 + (h >>> 26)) & 255;
      }
    }
  }
  return Buffer.from(px.buffer);
}

const raw = (width: number, height: number, channels: 1 | 3 | 4 = 3) => ({ raw: { width, height, channels } });

/** Two flat halves (left/right) in the given colours: easy to check after rotation. */
export function halves(width: number, height: number, left: number[], right: number[]): Buffer {
  const px = Buffer.alloc(width * height * 3);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) px.set(x < width / 2 ? left : right, (y * width + x) * 3);
  }
  return px;
}

/**
 * Writes one image of each kind into `dir`; returns their file names.
 * Sizes are small but need real resizing (shorter side != `resize`).
 */
export async function writeKinds(dir: string): Promise<string[]> {
  fs.mkdirSync(dir, { recursive: true });
  const out = (n: string) => path.join(dir, n);
  await sharp(pattern(60, 45, 1), raw(60, 45)).jpeg({ quality: 90 }).toFile(out('a_photo.jpg'));
  await sharp(pattern(50, 70, 2), raw(50, 70)).png().toFile(out('b_tall.png'));
  await sharp(pattern(64, 48, 3), raw(64, 48)).webp({ quality: 90 }).toFile(out('c_lossy.webp'));
  await sharp(pattern(55, 55, 4), raw(55, 55)).toColourspace('b-w').png().toFile(out('d_gray.png'));
  await sharp(pattern(48, 60, 5), raw(48, 60)).toColourspace('cmyk').jpeg({ quality: 95 }).toFile(out('e_cmyk.jpg'));
  await sharp(halves(80, 40, [220, 20, 20], [20, 20, 220]), raw(80, 40))
    .jpeg({ quality: 95 })
    .withMetadata({ orientation: 6 })
    .toFile(out('f_exif6.JPEG'));
  const rgba = Buffer.alloc(40 * 40 * 4);
  for (let i = 0; i < 40 * 40; i++) rgba.set([i % 256, (i * 3) % 256, 100, i % 2 ? 0 : 255], i * 4);
  await sharp(rgba, raw(40, 40, 4)).png().toFile(out('g_alpha.png'));
  for (let i = 0; i < 4; i++) {
    await sharp(pattern(41 + i * 7, 52, 10 + i), raw(41 + i * 7, 52)).jpeg().toFile(out(`h_more_${i}.jpg`));
  }
  fs.writeFileSync(out('notes.txt'), 'not an image, ignored by the folder listing\n');
  return fs.readdirSync(dir).filter((n) => n !== 'notes.txt').sort();
}

/** A JPEG whose data stops half-way: unreadable. */
export async function writeCorrupt(file: string): Promise<void> {
  const full = await sharp(pattern(64, 64, 99), raw(64, 64)).jpeg().toBuffer();
  fs.writeFileSync(file, full.subarray(0, Math.floor(full.length / 2)));
}

/** `count` plain JPEGs of `size`×`size` named img_000.jpg... */
export async function writeMany(dir: string, count: number, size: number): Promise<void> {
  fs.mkdirSync(dir, { recursive: true });
  for (let i = 0; i < count; i++) {
    // A small pattern upscaled by sharp: generating big patterns in JS under jest is slow.
    await sharp(pattern(48, 48, 1000 + i), raw(48, 48))
      .resize(size, size, { kernel: 'cubic' })
      .jpeg()
      .toFile(path.join(dir, `img_${String(i).padStart(3, '0')}.jpg`));
  }
}

/** Reads a float32 .npy written by realabel: shape, values and the raw bytes. */
export function readF4(file: string): { shape: number[]; data: Float32Array; bytes: Buffer } {
  const arr = readNpy(file);
  expect(arr.dtype).toBe('f4');
  return { shape: arr.shape, data: arr.data as Float32Array, bytes: fs.readFileSync(file) };
}
