/** Minimal CSV writing (RFC 4180 quoting) for the per-class and analysis tables. */
import { writeFileAtomicSync } from '../io/atomic';

export type Cell = string | number | null | undefined;

export function csvCell(v: Cell): string {
  if (v === null || v === undefined || (typeof v === 'number' && Number.isNaN(v))) return '';
  const s = typeof v === 'number' ? formatNumber(v) : v;
  return /[",\n\r]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

/** Integers as is; fractions to 6 decimals (enough for 1 image in 50,000), no trailing zeros. */
export function formatNumber(v: number): string {
  if (Number.isInteger(v)) return String(v);
  return v.toFixed(6).replace(/0+$/, '').replace(/\.$/, '');
}

export function toCsv(header: string[], rows: Cell[][]): string {
  return [header, ...rows].map((r) => r.map(csvCell).join(',')).join('\n') + '\n';
}

export function writeCsv(file: string, header: string[], rows: Cell[][]): void {
  writeFileAtomicSync(file, toCsv(header, rows));
}
