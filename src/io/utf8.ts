/**
 * Strict UTF-8 decoding. Invalid bytes are an error naming the file and
 * line, never replaced with U+FFFD: two different invalid names (workers,
 * tasks, classes) would otherwise decode to the same string and merge.
 */
import { isUtf8 } from 'node:buffer';
import { FormatError } from '../errors';

/**
 * Incremental UTF-8 validator (Unicode 15, table 3-7: no overlongs, no
 * surrogates, nothing above U+10FFFF) that counts lines as it goes.
 */
export class Utf8Checker {
  /** 1-based line of the next byte. */
  line = 1;
  private need = 0; // continuation bytes still expected
  private lo = 0x80; // allowed range of the next continuation byte
  private hi = 0xbf;

  /** Offset of the first invalid byte of `b`, or -1. */
  scan(b: Uint8Array): number {
    if (this.need === 0 && isUtf8(b)) {
      this.countLines(b);
      return -1;
    }
    for (let i = 0; i < b.length; i++) {
      const x = b[i];
      if (this.need > 0) {
        if (x < this.lo || x > this.hi) return i;
        this.lo = 0x80;
        this.hi = 0xbf;
        this.need--;
      } else if (x < 0x80) {
        if (x === 10) this.line++;
      } else if (x >= 0xc2 && x <= 0xdf) {
        this.need = 1;
      } else if (x >= 0xe0 && x <= 0xef) {
        this.need = 2;
        if (x === 0xe0) this.lo = 0xa0;
        if (x === 0xed) this.hi = 0x9f;
      } else if (x >= 0xf0 && x <= 0xf4) {
        this.need = 3;
        if (x === 0xf0) this.lo = 0x90;
        if (x === 0xf4) this.hi = 0x8f;
      } else {
        return i;
      }
    }
    return -1;
  }

  /** True when the input so far ends on a whole character. */
  complete(): boolean {
    return this.need === 0;
  }

  private countLines(b: Uint8Array): void {
    // A plain loop: Buffer#indexOf per line costs a native call per line (0.5 s on a million lines).
    let lines = 0;
    for (let i = 0; i < b.length; i++) if (b[i] === 10) lines++;
    this.line += lines;
  }
}

export function invalidUtf8(file: string | undefined, line: number, b: Uint8Array | null, at: number): FormatError {
  const what = b ? `byte 0x${b[at].toString(16).padStart(2, '0')}` : 'a truncated character at the end';
  return new FormatError(`line ${line}: not valid UTF-8 (${what})`, file);
}

/** Decodes UTF-8 bytes (a leading BOM is dropped); throws FormatError at the first invalid byte. */
export function decodeUtf8(bytes: Uint8Array, file?: string): string {
  const check = new Utf8Checker();
  const bad = check.scan(bytes);
  // A failed scan went byte by byte, so check.line is the line of the bad byte.
  if (bad >= 0) throw invalidUtf8(file, check.line, bytes, bad);
  if (!check.complete()) throw invalidUtf8(file, check.line, null, 0);
  return new TextDecoder('utf-8').decode(bytes);
}
