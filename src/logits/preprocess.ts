/**
 * The standard ImageNet evaluation preprocessing, with sharp (libvips):
 * decode (JPEG, PNG, WebP), apply the EXIF orientation, convert to 8-bit
 * sRGB (CMYK and grayscale become RGB, alpha is dropped like PIL's
 * `convert('RGB')`), resize the shorter side to `resize`, center-crop
 * `inputSize`, scale to [0, 1] and normalise per channel.
 *
 * Sizes follow torchvision's `Resize(int)` + `CenterCrop`: the long side is
 * `floor(resize * long / short)` and the crop offset is
 * `round((size - crop) / 2)` with Python's round-half-to-even.
 */
import type { Sharp, KernelEnum } from 'sharp';
import { FormatError, UnsupportedError, UsageError } from '../errors';
import { requirePackages } from '../util/optional';

export type Layout = 'nchw' | 'nhwc';
export type ResizeKernel = keyof KernelEnum;

export const IMAGENET_MEAN: readonly number[] = [0.485, 0.456, 0.406];
export const IMAGENET_STD: readonly number[] = [0.229, 0.224, 0.225];
export const SUPPORTED_FORMATS: readonly string[] = ['jpeg', 'png', 'webp'];

export interface PreprocessOptions {
  /** Side of the square crop fed to the model (224). */
  inputSize: number;
  /** The shorter side is resized to this before cropping (256). */
  resize: number;
  mean: readonly number[];
  std: readonly number[];
  layout: Layout;
  /** sharp resampling kernel; 'linear' (antialiased) is closest to PIL's bilinear. */
  kernel: ResizeKernel;
}

export type PreprocessInput = Partial<PreprocessOptions>;

/** Fills defaults and checks the options (UsageError naming the option). */
export function resolvePreprocess(opts: PreprocessInput = {}): PreprocessOptions {
  const p: PreprocessOptions = {
    inputSize: opts.inputSize ?? 224,
    resize: opts.resize ?? 256,
    mean: opts.mean ?? IMAGENET_MEAN,
    std: opts.std ?? IMAGENET_STD,
    layout: opts.layout ?? 'nchw',
    kernel: opts.kernel ?? 'linear',
  };
  if (!Number.isInteger(p.inputSize) || p.inputSize < 1) throw new UsageError(`\`inputSize\` must be a positive integer, got ${p.inputSize}`);
  if (!Number.isInteger(p.resize) || p.resize < p.inputSize) {
    throw new UsageError(`\`resize\` must be an integer >= \`inputSize\` (${p.inputSize}), got ${p.resize}`);
  }
  if (p.mean.length !== 3 || !p.mean.every(Number.isFinite)) throw new UsageError('`mean` must be three finite numbers r,g,b');
  if (p.std.length !== 3 || !p.std.every((s) => Number.isFinite(s) && s > 0)) {
    throw new UsageError('`std` must be three positive numbers r,g,b');
  }
  if (p.layout !== 'nchw' && p.layout !== 'nhwc') throw new UsageError(`\`layout\` must be nchw or nhwc, got '${p.layout}'`);
  return p;
}

/** torchvision `Resize(resize)`: the shorter side becomes `resize`, the longer is truncated. */
export function resizedSize(width: number, height: number, resize: number): { width: number; height: number } {
  if (width <= height) return { width: resize, height: Math.floor((resize * height) / width) };
  return { width: Math.floor((resize * width) / height), height: resize };
}

/** torchvision `CenterCrop` offset: `int(round((size - crop) / 2))`, half to even. */
export function cropOffset(size: number, crop: number): number {
  const diff = size - crop;
  const half = Math.floor(diff / 2);
  if (diff % 2 === 0) return half;
  return half % 2 === 0 ? half : half + 1;
}

type SharpFn = typeof import('sharp').default;
let sharpModule: SharpFn | undefined;

/** Loads sharp lazily (the CLI's other commands never need libvips). */
function loadSharp(): SharpFn {
  if (!sharpModule) {
    requirePackages('image preprocessing', ['sharp']);
    sharpModule = require('sharp') as SharpFn; // CommonJS: the module is the function
  }
  return sharpModule;
}

function firstLine(message: string): string {
  return message.split('\n')[0].trim();
}

/**
 * Decodes, orients, resizes and crops one image to `inputSize²` 8-bit RGB
 * pixels (HWC). Throws FormatError / UnsupportedError naming `file`.
 */
export async function loadRgb(file: string, opts: PreprocessOptions, source: string | Buffer = file): Promise<Uint8Array> {
  const sharp = loadSharp();
  let img: Sharp;
  let width: number;
  let height: number;
  try {
    img = sharp(source, { failOn: 'error' });
    const meta = await img.metadata();
    if (!meta.format || !SUPPORTED_FORMATS.includes(meta.format)) {
      throw new UnsupportedError(`image format '${meta.format ?? 'unknown'}' is not supported (JPEG, PNG or WebP)`, file);
    }
    ({ width, height } = meta.autoOrient ?? meta);
  } catch (err) {
    throw asImageError(err, file);
  }
  const s = opts.inputSize;
  const r = resizedSize(width, height, opts.resize);
  try {
    const { data, info } = await img
      .rotate()
      .resize({ width: r.width, height: r.height, fit: 'fill', kernel: opts.kernel })
      .extract({ left: cropOffset(r.width, s), top: cropOffset(r.height, s), width: s, height: s })
      .removeAlpha()
      .toColourspace('srgb')
      .raw({ depth: 'uchar' })
      .toBuffer({ resolveWithObject: true });
    if (info.channels !== 3 || info.width !== s || info.height !== s) {
      throw new FormatError(`decoded to ${info.width}x${info.height}x${info.channels}, expected ${s}x${s}x3`, file);
    }
    return new Uint8Array(data.buffer, data.byteOffset, data.length);
  } catch (err) {
    throw asImageError(err, file);
  }
}

function asImageError(err: unknown, file: string): Error {
  if (err instanceof FormatError || err instanceof UnsupportedError) return err;
  const e = err as { code?: string; message?: string };
  if (e?.code === 'ENOENT' || /^Input file is missing/.test(e?.message ?? '')) return new FormatError('image file not found', file);
  return new FormatError(`cannot decode image: ${firstLine(e?.message ?? String(err))}`, file);
}

/** Per-channel lookup tables: value v → float32((v / 255 - mean) / std), computed in float64. */
export function normaliseTable(opts: Pick<PreprocessOptions, 'mean' | 'std'>): Float32Array[] {
  return [0, 1, 2].map((c) => {
    const t = new Float32Array(256);
    for (let v = 0; v < 256; v++) t[v] = (v / 255 - opts.mean[c]) / opts.std[c];
    return t;
  });
}

/**
 * Writes one image (`inputSize²` HWC RGB bytes) normalised into `out` at
 * `offset` elements, in the model's layout.
 */
export function normaliseInto(rgb: Uint8Array, size: number, layout: Layout, table: Float32Array[], out: Float32Array, offset: number): void {
  const plane = size * size;
  const [t0, t1, t2] = table;
  if (layout === 'nhwc') {
    for (let i = 0, j = offset; i < plane * 3; i += 3, j += 3) {
      out[j] = t0[rgb[i]];
      out[j + 1] = t1[rgb[i + 1]];
      out[j + 2] = t2[rgb[i + 2]];
    }
    return;
  }
  for (let p = 0, i = 0; p < plane; p++, i += 3) {
    out[offset + p] = t0[rgb[i]];
    out[offset + plane + p] = t1[rgb[i + 1]];
    out[offset + 2 * plane + p] = t2[rgb[i + 2]];
  }
}

/** One image, fully preprocessed: a float32 [3, S, S] (nchw) or [S, S, 3] (nhwc) tensor. */
export async function preprocessImage(file: string, input: PreprocessInput = {}): Promise<Float32Array> {
  const opts = resolvePreprocess(input);
  const rgb = await loadRgb(file, opts);
  const out = new Float32Array(3 * opts.inputSize * opts.inputSize);
  normaliseInto(rgb, opts.inputSize, opts.layout, normaliseTable(opts), out, 0);
  return out;
}
