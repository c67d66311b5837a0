/**
 * Chart rendering: Vega-Lite specs → SVG in a worker thread (see
 * render-worker.ts), and SVG → PNG with sharp on request.
 */
import { createPool } from '../util/workers';

export async function renderSvgs(specs: object[]): Promise<string[]> {
  if (specs.length === 0) return [];
  const pool = createPool('analyze/render-worker.ts', 1);
  try {
    return (await pool.run({ specs })) as string[];
  } finally {
    await pool.destroy();
  }
}

/** Rasterises an SVG at 2x (crisp on high-density screens). */
export async function svgToPng(svg: string): Promise<Buffer> {
  const sharp = (await import('sharp')).default;
  return sharp(Buffer.from(svg), { density: 144 }).png({ compressionLevel: 9 }).toBuffer();
}
