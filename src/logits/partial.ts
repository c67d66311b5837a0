/**
 * Resumable output for long runs. Rows are appended, in input order, to
 * `<out>.partial` (a complete .npy header followed by rows), and after every
 * chunk a small state file `<out>.partial.json` records how many rows are
 * durable plus a fingerprint of the model, the image list and the options.
 * The final name appears only by rename once every row is written, so an
 * interrupted run never leaves a half-written file under it; `--resume`
 * truncates the partial file to the recorded rows and carries on, which
 * gives the same bytes as an uninterrupted run.
 */
import * as fs from 'node:fs';
import { createHash } from 'node:crypto';
import { UsageError } from '../errors';
import { writeFileAtomicSync } from '../io/atomic';
import { borrowBuffer, giveBack } from '../io/buffer-pool';
import { npyHeader } from '../io/npy';

const STATE_FORMAT = 'realabel-logits-partial/1';

/** What the rows depend on; a resume must match it exactly. */
export interface Fingerprint {
  model: { path: string; size: number; sha256: string };
  images: { count: number; sha256: string };
  options: Record<string, unknown>;
}

export interface SkippedRow {
  row: number;
  file: string;
  error: string;
}

interface State {
  format: string;
  fingerprint: Fingerprint;
  rows: number;
  classes: number;
  rowsDone: number;
  skipped: SkippedRow[];
}

export function partialPaths(out: string): { data: string; state: string } {
  return { data: `${out}.partial`, state: `${out}.partial.json` };
}

export function sha256File(file: string): string {
  const h = createHash('sha256');
  const fd = fs.openSync(file, 'r');
  const buf = borrowBuffer(1 << 20);
  try {
    for (;;) {
      const n = fs.readSync(fd, buf, 0, buf.length, null);
      if (n === 0) break;
      h.update(buf.subarray(0, n));
    }
  } finally {
    fs.closeSync(fd);
    giveBack(buf);
  }
  return h.digest('hex');
}

export function sha256Lines(lines: readonly string[]): string {
  const h = createHash('sha256');
  for (const l of lines) h.update(l).update('\n');
  return h.digest('hex');
}

/** Names the fingerprint fields that differ (empty when they match). */
function differences(a: Fingerprint, b: Fingerprint): string[] {
  const diff: string[] = [];
  if (a.model.sha256 !== b.model.sha256) diff.push('the model file');
  if (a.images.count !== b.images.count || a.images.sha256 !== b.images.sha256) diff.push('the image list');
  const keys = new Set([...Object.keys(a.options), ...Object.keys(b.options)]);
  for (const k of keys) {
    if (JSON.stringify(a.options[k]) !== JSON.stringify(b.options[k])) {
      diff.push(`${k} (was ${JSON.stringify(b.options[k])}, now ${JSON.stringify(a.options[k])})`);
    }
  }
  return diff;
}

/** An open `<out>.partial` being filled row-chunk by row-chunk. */
export class PartialOutput {
  private fd: number;
  private readonly headerBytes: number;
  private readonly rowBytes: number;
  private state: State;
  readonly paths: { data: string; state: string };

  private constructor(readonly out: string, fd: number, headerBytes: number, state: State) {
    this.paths = partialPaths(out);
    this.fd = fd;
    this.headerBytes = headerBytes;
    this.rowBytes = state.classes * 4;
    this.state = state;
  }

  /**
   * Opens the partial output: with `resume` and a matching state file it
   * continues after the recorded rows; otherwise it starts from row 0.
   */
  static open(out: string, rows: number, classes: number, fingerprint: Fingerprint, resume: boolean): PartialOutput {
    const paths = partialPaths(out);
    const header = npyHeader('f4', [rows, classes]);
    const previous = resume ? readState(paths.state) : undefined;
    if (previous) {
      const diff = differences(fingerprint, previous.fingerprint);
      if (diff.length > 0 || previous.rows !== rows || previous.classes !== classes) {
        throw new UsageError(
          `${paths.state}: cannot resume, the run differs in ${diff.join(', ') || 'its output shape'}; ` +
            'run without `resume` to start over',
        );
      }
      const expected = header.length + previous.rowsDone * classes * 4;
      const size = fs.existsSync(paths.data) ? fs.statSync(paths.data).size : -1;
      if (size >= expected) {
        const fd = fs.openSync(paths.data, 'r+');
        // Rows written after the last state update are not trusted.
        fs.ftruncateSync(fd, expected);
        return new PartialOutput(out, fd, header.length, previous);
      }
      // The data file is missing or shorter than recorded: start over.
    }
    const fd = fs.openSync(paths.data, 'w');
    fs.writeSync(fd, header, 0, header.length, 0);
    const state: State = { format: STATE_FORMAT, fingerprint, rows, classes, rowsDone: 0, skipped: [] };
    const part = new PartialOutput(out, fd, header.length, state);
    part.saveState();
    return part;
  }

  get rowsDone(): number {
    return this.state.rowsDone;
  }

  get skipped(): readonly SkippedRow[] {
    return this.state.skipped;
  }

  /** Appends the next rows (float32, row-major), makes them durable, then records them. */
  append(rows: Float32Array, skipped: SkippedRow[] = []): void {
    const n = rows.length / (this.rowBytes / 4);
    const bytes = new Uint8Array(rows.buffer, rows.byteOffset, rows.byteLength);
    const pos = this.headerBytes + this.state.rowsDone * this.rowBytes;
    let done = 0;
    while (done < bytes.length) done += fs.writeSync(this.fd, bytes, done, bytes.length - done, pos + done);
    fs.fdatasyncSync(this.fd);
    this.state.rowsDone += n;
    this.state.skipped.push(...skipped);
    this.saveState();
  }

  /** All rows written: renames the partial file to the final name and drops the state. */
  finish(): void {
    if (this.state.rowsDone !== this.state.rows) {
      throw new Error(`internal: finishing with ${this.state.rowsDone} of ${this.state.rows} rows`);
    }
    this.closeFd();
    fs.renameSync(this.paths.data, this.out);
    fs.rmSync(this.paths.state, { force: true });
  }

  /** Stops without finishing; the partial file and its state stay for --resume. */
  close(): void {
    this.closeFd();
  }

  private closeFd(): void {
    if (this.fd >= 0) {
      fs.fsyncSync(this.fd);
      fs.closeSync(this.fd);
      this.fd = -1;
    }
  }

  private saveState(): void {
    writeFileAtomicSync(this.paths.state, `${JSON.stringify(this.state)}\n`);
  }
}

function readState(file: string): State | undefined {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch {
    return undefined;
  }
  try {
    const s = JSON.parse(text) as State;
    if (s.format === STATE_FORMAT && Number.isSafeInteger(s.rowsDone) && Array.isArray(s.skipped)) return s;
  } catch {
    // fall through: an unreadable state means nothing can be trusted
  }
  throw new UsageError(`${file}: unreadable resume state; delete it or run without \`resume\``);
}
