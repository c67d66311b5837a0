/**
 * Iteration order of a CPython set of small non-negative ints.
 *
 * The published real.json lists each image's labels in the order a Python
 * set of the image's rated labels (inserted in scores.npz order) iterates,
 * filtered by score >= 0.8. That order comes from the hash table: an int
 * hashes to itself, collisions probe 9 slots linearly then jump
 * (i = 5i + 1 + perturb), and the table grows x4 when 2/3 full (the growth
 * rule of CPython 3.7; 3.11 grows at 3/5 and orders ~60 images differently).
 * Emulating it reproduces the published lists exactly, order included.
 */
const LINEAR_PROBES = 9;
const PERTURB_SHIFT = 5;
const EMPTY = -1;

function insertClean(table: Int32Array, key: number): void {
  const mask = table.length - 1;
  let perturb = key;
  let i = key & mask;
  for (;;) {
    if (table[i] === EMPTY) {
      table[i] = key;
      return;
    }
    if (i + LINEAR_PROBES <= mask) {
      for (let j = 1; j <= LINEAR_PROBES; j++) {
        if (table[i + j] === EMPTY) {
          table[i + j] = key;
          return;
        }
      }
    }
    perturb = Math.floor(perturb / 2 ** PERTURB_SHIFT);
    i = (i * 5 + 1 + perturb) & mask;
  }
}

/** The keys (distinct, in [0, 2^31)) in the order `list(set(keys))` gives. */
export function pythonSetOrder(keys: readonly number[]): number[] {
  let table = new Int32Array(8).fill(EMPTY);
  let used = 0;
  const seen = new Set<number>();
  for (const key of keys) {
    if (seen.has(key)) continue;
    seen.add(key);
    insertClean(table, key);
    used++;
    const mask = table.length - 1;
    if (used * 3 >= mask * 2) {
      const minUsed = used > 50000 ? used * 2 : used * 4;
      let size = 8;
      while (size <= minUsed) size *= 2;
      const old = table;
      table = new Int32Array(size).fill(EMPTY);
      for (const k of old) if (k !== EMPTY) insertClean(table, k);
    }
  }
  return Array.from(table).filter((k) => k !== EMPTY);
}
