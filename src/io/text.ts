/**
 * Streaming text input: the file's text as strings, checked as strict UTF-8
 * (src/io/utf8.ts) with CRLF turned into LF.
 */
import * as fs from 'node:fs';
import { Transform, type Duplex, type Readable } from 'node:stream';
import { checkReadable, fileError } from './files';
import { invalidUtf8, Utf8Checker } from './utf8';

/**
 * A stream of the file's text as strings, failing with a FormatError at the
 * first invalid byte. CRLF becomes LF, so that parsers count lines as an
 * editor does even in files that mix both.
 */
export function openTextStream(file: string): Readable {
  checkReadable(file);
  if (fs.statSync(file).isDirectory()) throw fileError(Object.assign(new Error('directory'), { code: 'EISDIR' }), file);
  const check = new Utf8Checker();
  const decoder = new TextDecoder('utf-8');
  let cr = ''; // a trailing CR held back until the next chunk shows whether LF follows
  const lf = (s: string, last: boolean): string | undefined => {
    let t = cr + s;
    cr = !last && t.endsWith('\r') ? '\r' : '';
    if (cr) t = t.slice(0, -1);
    t = t.replace(/\r\n/g, '\n');
    return t.length ? t : undefined;
  };
  const text = new Transform({
    readableObjectMode: true,
    transform(chunk: Buffer, _enc, done) {
      const bad = check.scan(chunk);
      if (bad >= 0) {
        done(invalidUtf8(file, check.line, chunk, bad)); // a failed scan stops with check.line at the bad byte
        return;
      }
      done(null, lf(decoder.decode(chunk, { stream: true }), false));
    },
    flush(done) {
      if (!check.complete()) {
        done(invalidUtf8(file, check.line, null, 0));
        return;
      }
      done(null, lf(decoder.decode(), true));
    },
  });
  const input = fs.createReadStream(file);
  input.on('error', (err) => text.destroy(fileError(err, file)));
  text.on('close', () => input.destroy()); // a reader that stops early closes the file
  return input.pipe(text);
}

/** Pipes the file's text into `dest` (a parser); read and UTF-8 errors destroy `dest` with a FormatError. */
export function pipeTextTo<T extends Duplex>(file: string, dest: T): T {
  const src = openTextStream(file);
  src.on('error', (err) => dest.destroy(err));
  dest.on('close', () => src.destroy());
  return src.pipe(dest);
}
