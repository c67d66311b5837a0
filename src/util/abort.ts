/**
 * Cancellation and cooperative yielding for the stages. Work done on the
 * calling thread between kernel calls is cut into slices; between slices the
 * stage awaits `pause(signal)`, which lets timers and I/O run and stops the
 * stage with an AbortError once the caller's signal has fired.
 */
import { AbortError, UsageError } from '../errors';

/** Throws an AbortError when `signal` has fired. */
export function throwIfAborted(signal: AbortSignal | undefined): void {
  if (signal?.aborted) throw new AbortError();
}

/** Yields to the event loop (one macrotask), then checks the signal. */
export function pause(signal?: AbortSignal): Promise<void> {
  return new Promise<void>((resolve) => setImmediate(resolve)).then(() => throwIfAborted(signal));
}

/** Checks that `signal`, when given, is an AbortSignal (a typo should not silently disable cancellation). */
export function checkSignal(signal: unknown): AbortSignal | undefined {
  if (signal === undefined) return undefined;
  if (!(signal instanceof AbortSignal)) throw new UsageError('`signal` must be an AbortSignal', 'signal');
  return signal;
}
