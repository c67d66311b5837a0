/**
 * A minimal progress bar on stderr. It draws only when stderr is a TTY and
 * the command is not in --json mode, so logs and machine output stay clean.
 */
export class Progress {
  private readonly enabled: boolean;
  private readonly start = Date.now();
  private lastDraw = 0;
  private done = 0;

  constructor(private readonly label: string, private readonly total: number, opts: { json?: boolean } = {}) {
    this.enabled = Boolean(process.stderr.isTTY) && !opts.json && total > 0;
  }

  /** Sets the count done (an `onProgress(done, total)` callback passes it straight here). */
  update(done: number): void {
    this.tick(done - this.done);
  }

  tick(n = 1): void {
    this.done += n;
    const now = Date.now();
    if (!this.enabled || (now - this.lastDraw < 100 && this.done < this.total)) return;
    this.lastDraw = now;
    const frac = Math.min(1, this.done / this.total);
    const width = 24;
    const bar = '#'.repeat(Math.round(frac * width)).padEnd(width, '.');
    const secs = (now - this.start) / 1000;
    const rate = secs > 0 ? this.done / secs : 0;
    const eta = rate > 0 ? (this.total - this.done) / rate : 0;
    process.stderr.write(
      `\r${this.label} [${bar}] ${this.done}/${this.total} ${rate.toFixed(1)}/s ETA ${eta.toFixed(0)}s `,
    );
  }

  finish(): void {
    if (this.enabled) process.stderr.write('\n');
  }
}
