/** The byte-level CSV tokenizer and the piece reader under it: records that straddle pieces read the same as in one piece. */
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as zlib from 'node:zlib';
import { cellText, readCsv } from '../../src/io/csv';
import { crc32 } from '../../src/io/zip';
import { nativeAddon } from '../../src/native/addon';
import { tmpDir } from '../helpers/tmp';

const dir = tmpDir('realabel-csv-');
let n = 0;
function write(bytes: string | Buffer): string {
  const f = path.join(dir, `c${n++}.csv`);
  fs.writeFileSync(f, bytes);
  return f;
}

async function records(file: string, pieceBytes?: number): Promise<Array<[number, string[]]>> {
  const out: Array<[number, string[]]> = [];
  await readCsv(file, (r) => out.push([r.line, Array.from({ length: r.count }, (_, i) => cellText(r, i))]), pieceBytes);
  return out;
}

describe('readCsv', () => {
  const text =
    '\uFEFFtask, worker ,label\r\n' +
    '"multi\r\nline, ""quoted""",w1,yes\n' +
    '\n   \n' +
    't2,"w,2"  ,  "no" \r\n' +
    'ü3,ω,€\n' +
    '"a""b",,\n' +
    'last,row,"x"';

  it('reads quotes, CRLF, blank lines, trimming and UTF-8, with the line each record starts on', async () => {
    expect(await records(write(text))).toEqual([
      [1, ['task', 'worker', 'label']],
      [2, ['multi\nline, "quoted"', 'w1', 'yes']],
      [6, ['t2', 'w,2', 'no']],
      [7, ['ü3', 'ω', '€']],
      [8, ['a"b', '', '']],
      [9, ['last', 'row', 'x']],
    ]);
  });

  it('gives the same records at every piece size (records and characters split between reads)', async () => {
    const f = write(text);
    const whole = await records(f);
    for (const size of [8, 9, 10, 13, 16, 17, 31, 64]) expect(await records(f, size)).toEqual(whole);
  });

  it('names the line of each syntax error', async () => {
    await expect(records(write('a,b\nc,"d\n\n'))).rejects.toThrow(/c\d+\.csv: line 2: not valid CSV \(a quoted field is never closed\)/);
    await expect(records(write('a,b\nc,d"e\n'))).rejects.toThrow(/line 2: not valid CSV \(a quote inside an unquoted field\)/);
    await expect(records(write('a,b\n\n"c"d,e\n'))).rejects.toThrow(/line 3: not valid CSV \(a character after a closing quote\)/);
    await expect(records(write(Buffer.from('a,b\nc,\xff\n', 'latin1')))).rejects.toThrow(/line 2: not valid UTF-8 \(byte 0xff\)/);
  });
});

describe('crc32', () => {
  it('equals zlib.crc32 at every length and start (the addon folds 64 bytes at a time)', () => {
    if (!nativeAddon()) return; // the fallback is zlib.crc32 itself
    const bytes = Buffer.from(Array.from({ length: 4096 }, (_, i) => (i * 2654435761) >>> 24));
    for (let len = 0; len < 300; len++) {
      for (const start of [0, 1, 7]) {
        const chunk = bytes.subarray(start, start + len);
        expect(crc32(chunk, 12345)).toBe(zlib.crc32(chunk, 12345));
      }
    }
    expect(crc32(bytes, 0)).toBe(zlib.crc32(bytes, 0));
  });
});
