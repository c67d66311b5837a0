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
  /**
   * The option the problem is about (its library name, e.g. `minVotes`),
   * when there is one: the message names it, and the CLI shows the flag
   * (`--min-votes`) in its place.
   */
  option?: string;

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

/** An output path that cannot be written (missing or unwritable folder, a file in the way, a full disk). */
export class OutputError extends RealabelError {
  constructor(message: string, file?: string) {
    super('E_OUTPUT', message, file);
  }
}

/** Bad API options (the CLI reports them with their flag names). */
export class UsageError extends RealabelError {
  /** `option`: the option the message starts with or names (see RealabelError.option). */
  constructor(message: string, option?: string) {
    super('E_USAGE', message);
    if (option) this.option = option;
  }
}

/** Marks `err` as being about `option` (see RealabelError.option). */
export function aboutOption<E extends RealabelError>(option: string, err: E): E {
  err.option = option;
  return err;
}

/**
 * An optional package that one command needs is not installed (e.g.
 * onnxruntime-node for `logits`): the message says what to install.
 */
export class MissingPackageError extends RealabelError {
  /** The packages to install. */
  readonly packages: string[];

  constructor(packages: string[], what: string) {
    const are = packages.length > 1 ? 'are' : 'is';
    super('E_MISSING_PACKAGE', `${what}: ${packages.join(' and ')} ${are} not installed; run npm install ${packages.join(' ')}`);
    this.packages = packages;
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
