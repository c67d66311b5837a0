/** Reading crowd answers: raters.npz (streamed), CSV and JSONL, and every bad-input case. */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { readAnswers, withKnownWorkers } from '../../src/io/answers';
import { writeNpz } from '../../src/io/npz';
import { tmpDir } from '../helpers/tmp';

const dir = tmpDir('realabel-answers-');
let n = 0;
function write(ext: string, text: string): string {
  const f = path.join(dir, `a${n++}.${ext}`);
  fs.writeFileSync(f, text);
  return f;
}

/** A raters.npz-layout file: tensor [R, Q, A] from per-rater answer lists (-1 = none). */
function ratersNpz(answers: number[][], opts: { ids?: number[]; A?: number; info?: string[][]; tensor?: Float64Array } = {}): string {
  const R = answers.length;
  const Q = answers[0]?.length ?? 0;
  const A = opts.A ?? 3;
  const t = opts.tensor ?? new Float64Array(R * Q * A);
  if (!opts.tensor) answers.forEach((row, r) => row.forEach((a, q) => a >= 0 && (t[(r * Q + q) * A + a] = 1)));
  const info = opts.info ?? Array.from({ length: Q }, (_, q) => [`ILSVRC2012_val_${String(q + 1).padStart(8, '0')}.JPEG`, String(q % 7)]);
  const f = path.join(dir, `r${n++}.npz`);
  writeNpz(f, {
    tensor: { dtype: 'f8', shape: [R, Q, A], data: t },
    info: { dtype: 'U28', shape: [Q, 2], data: info.flat() },
    ids: { dtype: 'i8', shape: [R], data: BigInt64Array.from((opts.ids ?? answers.map((_, r) => 100 + r)).map(BigInt)) },
  }, { compress: true });
  return f;
}

describe('raters.npz layout', () => {
  it('streams one-hot answers into compact arrays, verification by default', async () => {
    const f = ratersNpz([[2, -1, 0], [1, 2, -1]]);
    const t = await readAnswers(f);
    expect(t.format).toBe('npz');
    expect(t.alphabet).toEqual(['no', 'maybe', 'yes']);
    // Grouped by question, rater order within a question.
    expect(Array.from(t.question)).toEqual([0, 0, 1, 2]);
    expect(Array.from(t.worker)).toEqual([0, 1, 1, 0]);
    expect(Array.from(t.answer)).toEqual([2, 1, 2, 0]);
    expect(Array.from(t.lines!)).toEqual([0, 1, 1, 0]); // rater rows
    expect(t.workers).toEqual(['100', '101']);
    expect(t.tasks[1]).toBe('ILSVRC2012_val_00000002.JPEG:1');
    expect(t.info!.shape).toEqual([3, 2]);
  });

  it('rejects a tensor that is not one-hot, naming the rater and question', async () => {
    const tensor = new Float64Array(2 * 2 * 3);
    tensor[(1 * 2 + 1) * 3 + 0] = 1;
    tensor[(1 * 2 + 1) * 3 + 2] = 1;
    await expect(readAnswers(ratersNpz([[-1, -1], [-1, -1]], { tensor }))).rejects.toThrow(/r\d+\.npz: tensor\[1, 1\] = \(1, 0, 1\) is not a one-hot answer/);
    tensor.fill(0);
    tensor[2] = 0.5;
    await expect(readAnswers(ratersNpz([[-1, -1], [-1, -1]], { tensor }))).rejects.toThrow(/tensor\[0, 0\] = \(0, 0, 0.5\) is not a one-hot/);
  });

  it('rejects duplicate rater ids, missing members, mismatched shapes', async () => {
    await expect(readAnswers(ratersNpz([[0], [1]], { ids: [7, 7] }))).rejects.toThrow(/rater id 7 appears twice in ids \(rows 0 and 1\)/);
    const f = path.join(dir, 'noinfo.npz');
    writeNpz(f, { tensor: { dtype: 'f8', shape: [1, 1, 3], data: new Float64Array(3) }, ids: { dtype: 'i8', shape: [1], data: BigInt64Array.from([1n]) } });
    await expect(readAnswers(f)).rejects.toThrow(/noinfo\.npz: has no array 'info'/);
    const g = path.join(dir, 'shape.npz');
    writeNpz(g, {
      tensor: { dtype: 'f8', shape: [2, 3, 3], data: new Float64Array(18) },
      info: { dtype: 'U4', shape: [2, 2], data: ['a', '1', 'b', '2'] },
      ids: { dtype: 'i8', shape: [2], data: BigInt64Array.from([1n, 2n]) },
    });
    await expect(readAnswers(g)).rejects.toThrow(/shape\.npz: tensor must have shape \(2, 2, answers\)/);
  });

  it('gold answers from raters unknown to the main answers are an error', async () => {
    const main = await readAnswers(ratersNpz([[2]], { ids: [5] }));
    const gold = await readAnswers(ratersNpz([[2], [0]], { ids: [5, 6] }));
    expect(() => withKnownWorkers(gold, main.workers)).toThrow(/rater id 6 is not among the raters of the main answers/);
    await expect(readAnswers(gold.file, { knownWorkers: main.workers })).rejects.toThrow(/rater id 6 \(row 1 of ids\) is not among the known raters/);
    const ok = withKnownWorkers(await readAnswers(ratersNpz([[1]], { ids: [5] })), ['4', '5']);
    expect(Array.from(ok.worker)).toEqual([1]);
  });
});

describe('long CSV / JSONL', () => {
  const CSV = 'task,worker,label,extra\nt1,w1,yes,x\nt1,w2,no,\n"t,2",w1,maybe,z\n';

  it('reads CSV with a header (extra columns ignored), categorical by default with sorted labels', async () => {
    const t = await readAnswers(write('csv', CSV));
    expect(t.format).toBe('csv');
    expect(t.alphabet).toEqual(['maybe', 'no', 'yes']);
    expect(t.tasks).toEqual(['t1', 't,2']);
    expect(t.workers).toEqual(['w1', 'w2']);
    expect(Array.from(t.answer)).toEqual([2, 1, 0]);
    const v = await readAnswers(write('csv', CSV), { mode: 'verification' });
    expect(v.alphabet).toEqual(['no', 'maybe', 'yes']);
    expect(Array.from(v.answer)).toEqual([2, 0, 1]);
  });

  it('numeric categorical labels sort numerically; JSONL accepts numbers', async () => {
    const t = await readAnswers(write('jsonl', '{"task":1,"worker":"a","label":10}\n\n{"task":1,"worker":"b","label":9}\n{"task":2,"worker":"a","label":"10","x":[1]}\n'));
    expect(t.alphabet).toEqual(['9', '10']);
    expect(Array.from(t.answer)).toEqual([1, 0, 1]);
    expect(Array.from(t.lines!)).toEqual([1, 3, 4]);
  });

  it('errors name the file and line: header, missing fields, bad JSON, labels outside the alphabet', async () => {
    let f = write('csv', 'task,label\nt1,yes\n');
    await expect(readAnswers(f)).rejects.toThrow(new RegExp(`${f}: line 1: the header lacks column 'worker'`));
    f = write('csv', 'task,worker,label\nt1,w1,yes\nt2,,no\n');
    await expect(readAnswers(f)).rejects.toThrow(new RegExp(`${f}: line 3: missing field 'worker'`));
    f = write('csv', 'task,worker,label\nt1,w1\n');
    await expect(readAnswers(f)).rejects.toThrow(/line 2: missing field 'label'/);
    f = write('csv', '');
    await expect(readAnswers(f)).rejects.toThrow(/is empty/);
    f = write('csv', 'task,worker,label\nt1,w1,"unterminated\n');
    await expect(readAnswers(f)).rejects.toThrow(/not valid CSV/);
    f = write('csv', 'task,worker,label\nt1,w1,yes\nt1,w2,sure\n');
    await expect(readAnswers(f, { mode: 'verification' })).rejects.toThrow(new RegExp(`${f}: line 3: label 'sure' is not in the alphabet \\(no, maybe, yes\\)`));
    f = write('jsonl', '{"task":"t","worker":"w","label":"yes"}\n{"task":"t","label":"no"}\n');
    await expect(readAnswers(f)).rejects.toThrow(new RegExp(`${f}: line 2: missing field 'worker'`));
    f = write('jsonl', '{"task":"t","worker":"w","label":"yes"}\n{oops}\n');
    await expect(readAnswers(f)).rejects.toThrow(/line 2: not valid JSON/);
    f = write('jsonl', '[1,2]\n');
    await expect(readAnswers(f)).rejects.toThrow(/line 1: expected a JSON object/);
    f = write('jsonl', '{"task":"t","worker":"w","label":[true]}\n');
    await expect(readAnswers(f)).rejects.toThrow(/line 1: field 'label' must be a string, a number or true\/false/);
    await expect(readAnswers(path.join(dir, 'missing.csv'))).rejects.toThrow(/missing\.csv: no such file/);
    await expect(readAnswers(write('txt', 'x'))).rejects.toThrow(/unknown answers format/);
  });

  it('a duplicate (task, worker) is an error naming both lines, unless --on-duplicate first|last', async () => {
    const f = write('csv', 'task,worker,label\nt1,w1,yes\nt2,w1,no\nt1,w2,no\nt1,w1,no\nt2,w1,maybe\n');
    await expect(readAnswers(f)).rejects.toThrow(new RegExp(`${f}: line 5: worker 'w1' answered task 't1' twice \\(first on line 2`));
    const first = await readAnswers(f, { onDuplicate: 'first', mode: 'verification' });
    expect(Array.from(first.lines!)).toEqual([2, 3, 4]);
    expect(Array.from(first.answer)).toEqual([2, 0, 0]);
    const last = await readAnswers(f, { onDuplicate: 'last', mode: 'verification' });
    expect(Array.from(last.lines!)).toEqual([4, 5, 6]);
    expect(Array.from(last.answer)).toEqual([0, 0, 1]);
  });

  it('unknown workers are an error when the workers are fixed (gold answers)', async () => {
    const f = write('csv', 'task,worker,label\nt1,w1,yes\nt1,w9,no\n');
    await expect(readAnswers(f, { knownWorkers: ['w1', 'w2'] })).rejects.toThrow(new RegExp(`${f}: line 3: worker 'w9' is not among the known workers`));
  });
});
