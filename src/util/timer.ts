/** Wall-clock milliseconds since `t0` (from `now()`), for `timings_ms` reports. */
export function now(): number {
  return performance.now();
}

export function since(t0: number): number {
  return Math.round((performance.now() - t0) * 1000) / 1000;
}
