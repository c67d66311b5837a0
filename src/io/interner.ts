/**
 * Dense ids for names, in order of first appearance. ByteInterner looks a
 * name up straight from its UTF-8 bytes, so a CSV reader decodes each
 * distinct name once: a million answer rows hold three million names but
 * only about a hundred thousand distinct ones.
 */
export class Interner {
  readonly names: string[] = [];
  private readonly ids = new Map<string, number>();

  id(name: string): number {
    let i = this.ids.get(name);
    if (i === undefined) {
      i = this.names.length;
      this.ids.set(name, i);
      this.names.push(name);
    }
    return i;
  }
}

export class ByteInterner {
  readonly names: string[] = [];
  private arena = new Uint8Array(1 << 16); // the bytes of every name, back to back
  private used = 0;
  private starts = new Int32Array(64); // name i: arena[starts[i], starts[i + 1])
  private hashes = new Int32Array(64);
  private slots = new Int32Array(128); // id + 1, 0 = empty
  private mask = 127;

  /** The id of the UTF-8 bytes b[from, to) (valid UTF-8), added when new. */
  idOf(b: Uint8Array, from: number, to: number): number {
    let h = 0x811c9dc5 | 0;
    for (let i = from; i < to; i++) h = Math.imul(h ^ b[i], 16777619);
    const len = to - from;
    for (let at = h & this.mask; ; at = (at + 1) & this.mask) {
      const slot = this.slots[at];
      if (slot === 0) return this.add(b, from, to, h, at);
      const id = slot - 1;
      if (this.hashes[id] !== h) continue;
      const s = this.starts[id];
      if (this.starts[id + 1] - s !== len) continue;
      let same = true;
      for (let k = 0; k < len; k++) {
        if (this.arena[s + k] !== b[from + k]) {
          same = false;
          break;
        }
      }
      if (same) return id;
    }
  }

  private add(b: Uint8Array, from: number, to: number, h: number, at: number): number {
    const id = this.names.length;
    const len = to - from;
    while (this.used + len > this.arena.length) this.arena = grown(this.arena, this.arena.length * 2);
    if (id + 2 > this.starts.length) {
      this.starts = grown(this.starts, this.starts.length * 2);
      this.hashes = grown(this.hashes, this.hashes.length * 2);
    }
    this.arena.set(b.subarray(from, to), this.used);
    this.starts[id] = this.used;
    this.used += len;
    this.starts[id + 1] = this.used;
    this.hashes[id] = h;
    this.names.push(Buffer.from(b.buffer, b.byteOffset + from, len).toString('utf8'));
    this.slots[at] = id + 1;
    if (2 * this.names.length > this.slots.length) this.rehash();
    return id;
  }

  private rehash(): void {
    this.slots = new Int32Array(2 * this.slots.length);
    this.mask = this.slots.length - 1;
    for (let id = 0; id < this.names.length; id++) {
      let at = this.hashes[id] & this.mask;
      while (this.slots[at] !== 0) at = (at + 1) & this.mask;
      this.slots[at] = id + 1;
    }
  }
}

function grown<T extends Uint8Array | Int32Array>(a: T, size: number): T {
  const b = new (a.constructor as new (n: number) => T)(size);
  b.set(a);
  return b;
}
