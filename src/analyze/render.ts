/**
 * Chart rendering: Vega-Lite specs → SVG in a worker thread (see
 * render-worker.ts), and SVG → PNG with sharp on request.
 */
import { requirePackages } from '../util/optional';
import { createPool } from '../util/workers';

export async function renderSvgs(specs: object[]): Promise<string[]> {
  if (specs.length === 0) return [];
  requirePackages('report figures', ['vega', 'vega-lite']);
  const pool = createPool('analyze/render-worker.ts', 1);
  try {
    return (await pool.run({ specs })) as string[];
  } finally {
    await pool.destroy();
  }
}

/** Rasterises an SVG at 2x (crisp on high-density screens). */
export async function svgToPng(svg: string): Promise<Buffer> {
  requirePackages('PNG figures', ['sharp']);
  const sharp = (await import('sharp')).default;
  return sharp(Buffer.from(svg), { density: 144 }).png({ compressionLevel: 9 }).toBuffer();
}
