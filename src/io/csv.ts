/**
 * A strict RFC 4180 CSV tokenizer over the file's bytes, the dialect
 * csv-parse read before with { trim, skip_empty_lines, relax_column_count }:
 * fields separated by commas, records by LF or CRLF, double quotes around a
 * field (a doubled quote inside stands for one; line breaks inside are kept,
 * CRLF as LF), spaces and tabs around a field dropped, blank lines skipped.
 * A quote inside an unquoted field, text after a closing quote and a quote
 * never closed are errors naming the line.
 *
 * Why bytes and not csv-parse or a string loop: csv-parse took 4.5 s on a
 * 1,000,000-row answers file (pandas 0.5 s). Decoding the text to strings
 * costs as much again as tokenizing, and TurboFan's code for a charCodeAt
 * and indexOf loop slowed down 20-fold after a few pieces. Cells are handed
 * over as byte spans (names are decoded once each, by the caller's
 * interner); docs/io.md has the measurements.
 */
import { FormatError } from '../errors';
import { BytePieces } from './text';

/** One record: cell i is bytes[from[i], to[i]) of `bytes[i]` (quoted cells are unescaped into a scratch buffer). */
export interface CsvCells {
  count: number;
  line: number;
  bytes: Uint8Array[];
  from: Int32Array;
  to: Int32Array;
}

export function cellText(r: CsvCells, i: number): string {
  const b = r.bytes[i];
  return Buffer.from(b.buffer, b.byteOffset + r.from[i], r.to[i] - r.from[i]).toString('utf8');
}

const LF = 10;
const CR = 13;
const QUOTE = 34;
const COMMA = 44;
const SPACE = 32;
const TAB = 9;

/**
 * Reads a CSV file record by record; `onRecord` must be done with a record
 * when it returns. Other work runs between pieces (1 MiB each).
 */
export async function readCsv(file: string, onRecord: (r: CsvCells) => void, pieceBytes?: number): Promise<void> {
  const parser = new CsvParser(file, onRecord);
  const pieces = new BytePieces(file, pieceBytes);
  try {
    for (let keep = 0; ; ) {
      const piece = pieces.next(keep);
      if (!piece) break;
      keep = piece.length - parser.records(piece, pieces.done);
      await new Promise<void>((resolve) => setImmediate(resolve));
    }
  } finally {
    pieces.close();
  }
}

class CsvParser {
  /** 1-based line of the first byte not yet parsed. */
  private line = 1;
  private readonly rec: CsvCells = { count: 0, line: 0, bytes: [], from: new Int32Array(16), to: new Int32Array(16) };
  private scratch = new Uint8Array(1024);
  private scratchUsed = 0;

  constructor(
    private readonly file: string,
    private readonly onRecord: (r: CsvCells) => void,
  ) {}

  private fail(line: number, why: string): never {
    throw new FormatError(`line ${line}: not valid CSV (${why})`, this.file);
  }

  private cell(n: number, bytes: Uint8Array, from: number, to: number): void {
    const r = this.rec;
    if (n === r.from.length) {
      const grow = (a: Int32Array) => {
        const b = new Int32Array(2 * a.length);
        b.set(a);
        return b;
      };
      r.from = grow(r.from);
      r.to = grow(r.to);
    }
    r.bytes[n] = bytes;
    r.from[n] = from;
    r.to[n] = to;
  }

  /** Parses the records of b; returns where the first incomplete one starts (b.length when none). */
  records(b: Uint8Array, final: boolean): number {
    const len = b.length;
    let p = 0;
    while (p < len) {
      const start = p;
      const startLine = this.line;
      let n = 0;
      let quotedAny = false;
      this.scratchUsed = 0;
      let c = 0;
      for (;;) {
        c = b[p];
        while (c === SPACE || c === TAB) c = b[++p];
        if (c === QUOTE) {
          quotedAny = true;
          const after = this.quoted(b, p, final, startLine, n++);
          if (after < 0) {
            this.line = startLine;
            return start;
          }
          p = after;
          c = b[p];
          while (c === SPACE || c === TAB) c = b[++p];
          if (p < len && c !== COMMA && c !== LF && !(c === CR && (p + 1 === len || b[p + 1] === LF))) {
            this.fail(this.line, 'a character after a closing quote');
          }
        } else {
          const from = p;
          while (p < len && c !== COMMA && c !== LF) {
            if (c === QUOTE) this.fail(this.line, 'a quote inside an unquoted field');
            c = b[++p];
          }
          if (p >= len && !final) {
            this.line = startLine;
            return start;
          }
          let to = p;
          while (to > from && (b[to - 1] === SPACE || b[to - 1] === TAB || b[to - 1] === CR)) to--;
          this.cell(n++, b, from, to);
        }
        if (p >= len) break;
        if (c === COMMA) {
          p++;
          continue;
        }
        p += c === CR ? 2 : 1; // LF, or CRLF after a quoted field
        this.line++;
        break;
      }
      // A line with nothing on it but spaces is blank, not a record of one empty field.
      if (n === 1 && !quotedAny && this.rec.from[0] === this.rec.to[0]) continue;
      this.rec.count = n;
      this.rec.line = startLine;
      this.onRecord(this.rec);
    }
    return len;
  }

  /**
   * The quoted field opening at b[open], unescaped into the scratch buffer as
   * cell n; returns the index after the closing quote, or -1 when the bytes
   * end inside it (and more may come).
   */
  private quoted(b: Uint8Array, open: number, final: boolean, startLine: number, n: number): number {
    const len = b.length;
    let lines = 0;
    let out = this.scratchUsed;
    if (this.scratch.length - out < len - open) {
      const bigger = new Uint8Array(Math.max(2 * this.scratch.length, out + len - open));
      bigger.set(this.scratch.subarray(0, out));
      this.scratch = bigger;
      // Cells already in the old scratch keep their view of it.
    }
    const s = this.scratch;
    const first = out;
    for (let p = open + 1; ; p++) {
      if (p >= len) {
        if (final) this.fail(startLine, 'a quoted field is never closed');
        return -1;
      }
      const c = b[p];
      if (c === QUOTE) {
        if (p + 1 >= len && !final) return -1; // a doubled quote may follow in the next piece
        if (b[p + 1] === QUOTE) {
          s[out++] = QUOTE;
          p++;
          continue;
        }
        this.line += lines;
        this.scratchUsed = out;
        this.cell(n, s, first, out);
        return p + 1;
      }
      if (c === LF) lines++;
      if (c === CR && b[p + 1] === LF) continue; // CRLF inside quotes reads as LF
      s[out++] = c;
    }
  }
}
