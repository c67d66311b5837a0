/**
 * The raters.npz export: the ReaL release's layout (tensor [R, Q, 3] one-hot
 * float64 no/maybe/yes, info [Q, 2] (file name, label), ids [R]).
 */
import { imageFileName } from '../io/imagenet-files';
import type { NdArray } from '../io/npy';
import type { StreamedArray } from '../io/npz';
import { counts, type ExportCounts, goldQuestions, questionKey, scanAnswers } from './export-rows';
import type { Db } from './store';

/**
 * The raters.npz layout over the main questions (and, for the gold export,
 * the gold questions). Rater rows are the rater ids ascending, questions in
 * first-answer order.
 */
export function ratersNpz(db: Db, includeBanned: boolean): { main: Record<string, NdArray | StreamedArray>; gold: Record<string, NdArray | StreamedArray> | null; counts: ExportCounts } {
  return db.transaction(() => {
    const gold = goldQuestions(db);
    const sides = [new NpzBuilder(), new NpzBuilder()];
    scanAnswers(db, ['a.task_id', 't.image', 'a.label', 'a.rater_id', 'a.answer'], includeBanned, (v, rows) => {
      for (let o = 0; o < rows * 5; o += 5) {
        const taskId = v[o], image = v[o + 1], label = v[o + 2], rater = v[o + 3], answer = v[o + 4];
        const g = gold.get(taskId)?.get(label);
        if (!g) sides[0].add(questionKey(image, label), () => [imageFileName(image), String(label)], rater, answer);
        else sides[1].add(g.name, () => splitName(g.name), rater, answer);
      }
    });
    const goldNpz = sides[1].answers ? sides[1].build() : null;
    const ids = new Set([...sides[0].raterIds, ...sides[1].raterIds]);
    return { main: sides[0].build(), gold: goldNpz, counts: counts(sides[0].answers, sides[1].answers, sides[0].questions.size, ids.size) };
  })();
}

function splitName(name: string): [string, string] {
  const at = name.lastIndexOf(':');
  return [name.slice(0, at), name.slice(at + 1)];
}

/** Answer cells of the dense [R, Q, 3] one-hot tensor, expanded to float64 this many at a time. */
const TENSOR_CELLS = 1 << 15;

class NpzBuilder {
  readonly questions = new Map<number | string, number>();
  readonly info: string[] = [];
  readonly raterIds = new Set<number>();
  private entries = new Int32Array(3 << 10); // (rater, question, answer) per answer
  answers = 0;

  add(key: number | string, info: () => [string, string], rater: number, answer: number): void {
    let q = this.questions.get(key);
    if (q === undefined) {
      q = this.questions.size;
      this.questions.set(key, q);
      this.info.push(...info());
    }
    this.raterIds.add(rater);
    if (this.entries.length < 3 * (this.answers + 1)) {
      const grown = new Int32Array(this.entries.length * 2);
      grown.set(this.entries);
      this.entries = grown;
    }
    const e = 3 * this.answers++;
    this.entries[e] = rater;
    this.entries[e + 1] = q;
    this.entries[e + 2] = answer;
  }

  /**
   * The tensor is R × Q × 3 float64 (192 MB for 40 raters × 200,000
   * questions): it is kept as one bit per answer value and each cell and
   * expanded to float64 only while it is deflated.
   */
  build(): Record<string, NdArray | StreamedArray> {
    const ids = [...this.raterIds].sort((a, b) => a - b);
    const row = new Map(ids.map((id, i) => [id, i]));
    const Q = this.questions.size;
    const bits = new Uint8Array(ids.length * Q);
    for (let e = 0; e < 3 * this.answers; e += 3) bits[row.get(this.entries[e])! * Q + this.entries[e + 1]] |= 1 << this.entries[e + 2];
    let width = 1;
    for (const s of this.info) width = Math.max(width, s.length); // not Math.max(...info): millions of arguments overflow the stack
    return {
      tensor: { dtype: 'f8', shape: [ids.length, Q, 3], chunks: expandOneHot(bits) },
      info: { dtype: `U${width}`, shape: [Q, 2], data: this.info },
      ids: { dtype: 'i8', shape: [ids.length], data: BigInt64Array.from(ids, (x) => BigInt(x)) },
    };
  }
}

/** Cells of 3 answer bits as little-endian float64 one-hot triples, through one reused buffer. */
function* expandOneHot(bits: Uint8Array): Generator<Uint8Array> {
  const out = new Float64Array(3 * Math.min(TENSOR_CELLS, bits.length));
  for (let c0 = 0; c0 < bits.length; c0 += TENSOR_CELLS) {
    const cells = Math.min(TENSOR_CELLS, bits.length - c0);
    for (let c = 0; c < cells; c++) {
      const b = bits[c0 + c];
      out[3 * c] = b & 1;
      out[3 * c + 1] = (b >> 1) & 1;
      out[3 * c + 2] = (b >> 2) & 1;
    }
    yield new Uint8Array(out.buffer, 0, 24 * cells);
  }
}
