/**
 * Text output gathered in one reused buffer and handed on in blocks: to a
 * file descriptor, or kept in memory. Writers of large text (exports of
 * millions of answers) build no giant JS string and no object per record.
 */
import * as fs from 'node:fs';

const BLOCK = 1 << 20;

export class ByteSink {
  private readonly buf = Buffer.allocUnsafe(BLOCK);
  private used = 0;
  /** Bytes handed on so far plus those still in the buffer. */
  get length(): number {
    return this.flushed + this.used;
  }
  private flushed = 0;

  constructor(private readonly emit: (bytes: Uint8Array) => void) {}

  /** Appends a string as UTF-8. */
  text(s: string): void {
    if (s.length * 3 > BLOCK - this.used) {
      this.flush();
      if (s.length * 3 > BLOCK) {
        this.bytes(Buffer.from(s, 'utf8'));
        return;
      }
    }
    this.used += this.buf.write(s, this.used); // fits: UTF-8 takes at most 3 bytes per UTF-16 unit
  }

  /** Appends bytes (not kept: copied or handed on before this returns). */
  bytes(b: Uint8Array): void {
    if (b.length > BLOCK - this.used) {
      this.flush();
      if (b.length > BLOCK) {
        this.pass(b);
        return;
      }
    }
    this.buf.set(b, this.used);
    this.used += b.length;
  }

  /** Hands on what is buffered. */
  flush(): void {
    if (this.used) this.pass(this.buf.subarray(0, this.used));
    this.used = 0;
  }

  private pass(b: Uint8Array): void {
    this.flushed += b.length;
    this.emit(b);
  }

  /** A sink writing to an open file descriptor. */
  static toFd(fd: number): ByteSink {
    return new ByteSink((b) => {
      for (let off = 0; off < b.length; ) off += fs.writeSync(fd, b, off, b.length - off);
    });
  }

  /** A sink keeping its bytes; `contents()` joins them. */
  static inMemory(): ByteSink & { contents(): Buffer } {
    const blocks: Buffer[] = [];
    const sink = new ByteSink((b) => blocks.push(Buffer.from(b))) as ByteSink & { contents(): Buffer };
    sink.contents = () => {
      sink.flush();
      return Buffer.concat(blocks);
    };
    return sink;
  }
}
