/**
 * The one place where `--json` output is made: library results are
 * camelCase, `--json` prints snake_case keys (realTop1 -> real_top1,
 * timingsMs -> timings_ms). Keys that are not camelCase words (`P`,
 * `within1e9`, class names used as keys) pass through unchanged. Typed
 * arrays become plain arrays; undefined fields are dropped like
 * JSON.stringify drops them.
 */

/** realTop1 -> real_top1; an upper-case letter after a lower-case letter or digit starts a word. */
export function snakeKey(key: string): string {
  return key.replace(/(?<=[a-z0-9])([A-Z])/g, (_, c: string) => `_${c.toLowerCase()}`);
}

/** A deep copy of `value` with every object key in snake_case. */
export function toJson(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(toJson);
  if (ArrayBuffer.isView(value) && !(value instanceof DataView)) return Array.from(value as unknown as ArrayLike<number>);
  if (value === null || typeof value !== 'object') return value;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) out[snakeKey(k)] = toJson(v);
  return out;
}

/** Prints one JSON object on stdout, keys in snake_case (the --json contract). */
export function printJson(value: unknown): void {
  process.stdout.write(`${JSON.stringify(toJson(value), null, 2)}\n`);
}
