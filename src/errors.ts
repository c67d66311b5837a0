/**
 * Typed errors. Everything the user can cause (bad files, bad options) is a
 * RealabelError: the CLI prints its one-line message and exits 1. Any other
 * error is a bug and exits 2.
 */
export class RealabelError extends Error {
  /** Stable machine-readable code, e.g. `E_FORMAT`. */
  readonly code: string;
  /** The file the problem is in, when there is one. */
  readonly file?: string;

  constructor(code: string, message: string, file?: string) {
    super(file ? `${file}: ${message}` : message);
    this.name = new.target.name;
    this.code = code;
    this.file = file;
  }
}

/** A file is not in the format it claims to be (truncated, bad magic, bad header...). */
export class FormatError extends RealabelError {
  constructor(message: string, file?: string) {
    super('E_FORMAT', message, file);
  }
}

/** A value is well-formed but not acceptable (NaN logits, K too large, label out of range...). */
export class ValidationError extends RealabelError {
  constructor(message: string, file?: string) {
    super('E_VALIDATION', message, file);
  }
}

/** A feature the file uses that realabel does not support (dtype, Fortran order...). */
export class UnsupportedError extends RealabelError {
  constructor(message: string, file?: string) {
    super('E_UNSUPPORTED', message, file);
  }
}

/** Bad command-line or API options. */
export class UsageError extends RealabelError {
  constructor(message: string) {
    super('E_USAGE', message);
  }
}

/**
 * The work was stopped by its AbortSignal. Named like DOMException's and
 * Node's own AbortError (`name === 'AbortError'`, `code === 'ABORT_ERR'`), so
 * code written for fetch or fs aborts recognises it.
 */
export class AbortError extends RealabelError {
  constructor(message = 'The operation was aborted') {
    super('ABORT_ERR', message);
  }
}
