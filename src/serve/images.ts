/**
 * Task images and label examples, resized once by sharp and kept in a
 * bounded in-memory cache. Requests name an image by its index (only images
 * of imported tasks) or an example by (wnid, number) from a listing made at
 * start-up, so no request path ever becomes a file path.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import type SharpT from 'sharp';
import { requirePackages } from '../util/optional';

/** sharp is an optional peer dependency: loaded on first use (createRatingServer checks it is there). */
function sharp(): typeof SharpT {
  requirePackages('the rating app (image resizing)', ['sharp']);
  return require('sharp') as typeof SharpT; // CommonJS: the module is the function
}

const EXTENSIONS = /\.(jpe?g|png|webp|gif|tiff?)$/i;

export interface ImageCacheOptions {
  /** Longest side of a served task image (default 800). */
  size?: number;
  /** Cache budget in bytes (default 128 MiB). */
  maxBytes?: number;
}

export class ImageCache {
  private readonly done = new Map<string, Buffer>();
  private readonly pending = new Map<string, Promise<Buffer>>();
  private bytes = 0;
  readonly size: number;
  private readonly maxBytes: number;

  constructor(opts: ImageCacheOptions = {}) {
    this.size = opts.size ?? 800;
    this.maxBytes = opts.maxBytes ?? 128 * 2 ** 20;
  }

  /** The JPEG of `file` fitted inside size × size (cached by key). */
  get(key: string, file: string, size = this.size): Promise<Buffer> {
    const hit = this.done.get(key);
    if (hit) {
      // Map order is the LRU order: move to the end.
      this.done.delete(key);
      this.done.set(key, hit);
      return Promise.resolve(hit);
    }
    let p = this.pending.get(key);
    if (!p) {
      p = sharp()(file, { failOn: 'error' })
        .rotate()
        .resize(size, size, { fit: 'inside', withoutEnlargement: true })
        .jpeg({ quality: 85 })
        .toBuffer()
        .then((buf) => {
          this.store(key, buf);
          return buf;
        })
        .finally(() => this.pending.delete(key));
      this.pending.set(key, p);
    }
    return p;
  }

  private store(key: string, buf: Buffer): void {
    this.done.set(key, buf);
    this.bytes += buf.length;
    for (const [k, b] of this.done) {
      if (this.bytes <= this.maxBytes) break;
      this.done.delete(k);
      this.bytes -= b.length;
    }
  }
}

/** `DIR/<wnid>/*` image files, sorted by name (at most `perClass` each). */
export function listExamples(dir: string, perClass = 3): Map<string, string[]> {
  const out = new Map<string, string[]>();
  for (const wnid of fs.readdirSync(dir)) {
    if (!/^n\d{8}$/.test(wnid)) continue;
    const sub = path.join(dir, wnid);
    if (!fs.statSync(sub).isDirectory()) continue;
    const files = fs.readdirSync(sub).filter((f) => EXTENSIONS.test(f)).sort().slice(0, perClass);
    if (files.length) out.set(wnid, files.map((f) => path.join(sub, f)));
  }
  return out;
}
