/**
 * The paper's Figure 4: across models, ReaL accuracy against original
 * accuracy. Models are ranked by original top-1 (ties by name); the weaker
 * half is the first floor(n/2), the stronger half the rest. Each half gets an
 * ordinary least-squares line y = slope * x + intercept. A slope below 1
 * means gains on the original labels overstate gains on ReaL.
 */
export interface Fit {
  slope: number;
  intercept: number;
  /** Model names in the fit. */
  models: string[];
}

export interface SlopeAnalysis {
  weaker: Fit | null;
  stronger: Fit | null;
  all: Fit | null;
}

export interface ModelPoint {
  name: string;
  original: number;
  real: number;
}

export function accuracySlopes(points: ModelPoint[]): SlopeAnalysis {
  const ranked = [...points].sort((a, b) => a.original - b.original || (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  const half = Math.floor(ranked.length / 2);
  return { weaker: fit(ranked.slice(0, half)), stronger: fit(ranked.slice(half)), all: fit(ranked) };
}

/** Least squares; null when fewer than two points or all x equal. */
export function fit(points: ModelPoint[]): Fit | null {
  const n = points.length;
  if (n < 2) return null;
  const mx = points.reduce((s, p) => s + p.original, 0) / n;
  const my = points.reduce((s, p) => s + p.real, 0) / n;
  let sxx = 0, sxy = 0;
  for (const p of points) {
    sxx += (p.original - mx) ** 2;
    sxy += (p.original - mx) * (p.real - my);
  }
  if (!(sxx > 0)) return null;
  const slope = sxy / sxx;
  return { slope, intercept: my - slope * mx, models: points.map((p) => p.name) };
}
