/** Option parsing and listening for `realabel serve` (shared by the CLI and `demo --serve`). */
import type { FastifyInstance } from 'fastify';
import { UsageError } from '../errors';
import type { AdaptiveOptions } from './quality';
import { setMeta } from './store';

/** `90s`, `10m`, `1h`, `500ms`, or a number of seconds → milliseconds. */
export function parseDuration(raw: string): number {
  const m = /^(\d+(?:\.\d+)?)(ms|s|m|h)?$/.exec(raw.trim());
  if (!m) throw new UsageError(`--lease must be a duration like 90s, 10m or 1h, got '${raw}'`);
  const ms = Number(m[1]) * { ms: 1, s: 1000, m: 60_000, h: 3_600_000 }[(m[2] ?? 's') as 'ms' | 's' | 'm' | 'h'];
  if (!(ms >= 1 && ms <= 2 ** 31 - 1)) throw new UsageError(`--lease must be between 1 ms and 24 days, got '${raw}'`);
  return Math.round(ms);
}

/** `ACC,N`: ban below gold accuracy ACC (in [0, 1]) once N gold answers are in. */
export function parseBanBelow(raw: string): { accuracy: number; after: number } {
  const m = /^\s*(\d*\.?\d+)\s*,\s*(\d+)\s*$/.exec(raw);
  const accuracy = m ? Number(m[1]) : NaN;
  if (!m || !(accuracy >= 0 && accuracy <= 1) || Number(m[2]) < 1) throw new UsageError(`--ban-below must be ACC,N with ACC in [0, 1] and N >= 1, got '${raw}'`);
  return { accuracy, after: Number(m[2]) };
}

/** `min=3,max=7,band=0.2-0.8`. */
export function parseAdaptive(raw: string): AdaptiveOptions {
  const out: Partial<AdaptiveOptions> = {};
  for (const part of raw.split(',')) {
    const [k, v] = part.split('=').map((s) => s.trim());
    if ((k === 'min' || k === 'max') && /^\d+$/.test(v ?? '') && Number(v) >= 1) out[k] = Number(v);
    else if (k === 'band' && /^\d*\.?\d+-\d*\.?\d+$/.test(v ?? '')) out.band = v.split('-').map(Number) as [number, number];
    else throw new UsageError(`--adaptive: bad setting '${part}' (use min=N,max=N,band=LO-HI)`);
  }
  if (out.min === undefined || out.max === undefined) throw new UsageError(`--adaptive needs min and max, got '${raw}'`);
  if (out.min > out.max) throw new UsageError(`--adaptive: min ${out.min} is above max ${out.max}`);
  const band = out.band ?? [0.2, 0.8];
  if (!(band[0] >= 0 && band[0] <= band[1] && band[1] <= 1)) throw new UsageError(`--adaptive: band must be LO-HI within [0, 1], got ${band.join('-')}`);
  return { min: out.min, max: out.max, band };
}

/** Listens and records the URL in the database (for `serve raters add` links). */
export async function listen(app: FastifyInstance, host: string, port: number): Promise<{ url: string; skipped: number[] }> {
  await app.listen({ host, port });
  const addr = app.server.address();
  const p = typeof addr === 'object' && addr ? addr.port : port;
  const url = app.realabel.publicUrl?.replace(/\/$/, '') ?? `http://${host.includes(':') ? `[${host}]` : host}:${p}`;
  setMeta(app.realabel.db, 'url', url);
  return { url, skipped: app.realabel.skipped };
}
