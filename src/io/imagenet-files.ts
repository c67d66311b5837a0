/**
 * The ImageNet validation file names that the ReaL release uses to name
 * images (`info` columns of raters.npz, golden.npz, scores.npz):
 * image i (0-based) is `ILSVRC2012_val_{i+1:08d}.JPEG`.
 */

const FILE_RE = /^ILSVRC2012_val_(\d{8})\.JPEG$/;

/** Image index of a validation file name (ILSVRC2012_val_00000001.JPEG → 0); undefined when it is not one. */
export function imageIndexOf(name: string): number | undefined {
  const m = FILE_RE.exec(name);
  return m ? Number(m[1]) - 1 : undefined;
}

/** The validation file name of image i. */
export function imageFileName(image: number): string {
  return `ILSVRC2012_val_${String(image + 1).padStart(8, '0')}.JPEG`;
}
