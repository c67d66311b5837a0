/**
 * TEMPORARY: the .npy v1.0 header for a little-endian float32 array, laid
 * out exactly as numpy's `np.save` writes it (dict padded with spaces to a
 * 64-byte boundary, ending in '\n'). Replaced by `npyHeader` from
 * src/io/npy.ts once it lands on main.
 */
export function npyHeader(dtype: 'f4', shape: readonly number[]): Uint8Array {
  const shapeText = shape.length === 1 ? `(${shape[0]},)` : `(${shape.join(', ')})`;
  const dict = `{'descr': '<${dtype}', 'fortran_order': False, 'shape': ${shapeText}, }`;
  const total = Math.ceil((10 + dict.length + 1) / 64) * 64;
  const text = dict.padEnd(total - 10 - 1, ' ') + '\n';
  const out = new Uint8Array(total);
  out.set([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, 1, 0, text.length & 0xff, text.length >> 8], 0);
  for (let i = 0; i < text.length; i++) out[10 + i] = text.charCodeAt(i);
  return out;
}
