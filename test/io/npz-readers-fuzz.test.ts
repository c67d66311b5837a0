/**
 * Fuzz of the readers of two .npz layouts: crowd answers (`raters.npz`:
 * tensor [R, Q, A], info [Q, 2], ids [R]; src/io/answers.ts) and label
 * proposals (`proposals.npz`: image, label [, top1, original], or the
 * published `info` layout; src/tasks/read.ts).
 *
 * Generated archives have odd dtypes, shapes, values and duplicate ids; a
 * reference written here says what each must read as, and the reader must
 * agree or throw a RealabelError naming the file. Truncation at every byte
 * and random byte flips of a valid archive must read as the original or
 * fail typed (members are CRC-checked).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import fc from 'fast-check';
import { RealabelError } from '../../src/errors';
import { readAnswers, type AnswerTable } from '../../src/io/answers';
import type { NdArray } from '../../src/io/npy';
import { readNpz, writeNpz } from '../../src/io/npz';
import { readProposalPairs, readProposalPairsSync } from '../../src/tasks/read';
import { readGold } from '../../src/subsets/gold';
import type { TasksInput } from '../../src/tasks/tasks';
import { tmpDir } from '../helpers/tmp';

const dir = tmpDir('realabel-npz-fuzz-');
const RUNS = Number(process.env.REALABEL_FUZZ_RUNS ?? 400);

type Outcome<T> = { ok: true; value: T } | { ok: false; error: RealabelError };

async function outcome<T>(fn: () => Promise<T> | T): Promise<Outcome<T>> {
  try {
    const value = await fn();
    return { ok: true, value };
  } catch (err) {
    if (!(err instanceof RealabelError)) throw new Error(`untyped error: ${(err as Error)?.stack ?? String(err)}`);
    return { ok: false, error: err };
  }
}

function expectTypedError<T>(got: Outcome<T>, file: string, kind: RegExp): void {
  if (got.ok) throw new Error(`expected an error ${kind}, got a value`);
  expect(got.error.message.startsWith(`${file}: `)).toBe(true);
  expect(got.error.message).not.toContain('\n');
  expect(got.error.message).toMatch(kind);
}

let fileNo = 0;
const nextFile = (stem: string) => path.join(dir, `${stem}${fileNo++ % 8}.npz`);

// ------------------------------------------------------------ raters.npz

const VALUES = [0, 0, 0, 0, 0, 1, 1, 0.5, 2, -0, NaN, -1];

const ratersCase = fc
  .record({
    R: fc.integer({ min: 0, max: 4 }),
    Q: fc.integer({ min: 0, max: 5 }),
    A: fc.integer({ min: 1, max: 4 }),
    hot: fc.array(fc.integer({ min: -1, max: 3 }), { minLength: 20, maxLength: 20 }),
    noise: fc.array(fc.tuple(fc.nat(79), fc.constantFrom(...VALUES)), { maxLength: 3 }),
    tensorDtype: fc.constantFrom('f8', 'f8', 'f4', 'u1', 'i8'),
    ids: fc.array(fc.integer({ min: 0, max: 5 }), { minLength: 4, maxLength: 4 }),
    idsDtype: fc.constantFrom('i8', 'i8', 'i4', 'u2', 'f8', 'U3'),
    idsShape: fc.constantFrom('1d', '1d', '1d', '2d'),
    infoShape: fc.constantFrom('q2', 'q2', 'q2', 'q1', 'flat', 'num'),
    tensorRows: fc.constantFrom(0, 0, 0, 0, 1, -1), // rows more or fewer than ids
    missing: fc.constantFrom(null, null, null, null, null, 'tensor', 'info', 'ids'),
  })
  .map((c) => {
    const rows = Math.max(0, c.R + c.tensorRows);
    const tensor = new Float64Array(rows * c.Q * c.A);
    for (let r = 0; r < rows; r++) {
      for (let q = 0; q < c.Q; q++) {
        const h = c.hot[(r * 5 + q) % 20];
        if (h >= 0 && h < c.A) tensor[(r * c.Q + q) * c.A + h] = 1;
      }
    }
    for (const [at, v] of c.noise) if (tensor.length) tensor[at % tensor.length] = v;
    return { ...c, rows, tensor };
  });

type RatersCase = typeof ratersCase extends fc.Arbitrary<infer T> ? T : never;

function typed(dtype: string, values: number[]): NdArray {
  const shape = [values.length];
  switch (dtype) {
    case 'f8':
      return { dtype, shape, data: Float64Array.from(values) };
    case 'f4':
      return { dtype, shape, data: Float32Array.from(values) };
    case 'u1':
      return { dtype, shape, data: Uint8Array.from(values) };
    case 'u2':
      return { dtype, shape, data: Uint16Array.from(values) };
    case 'i4':
      return { dtype, shape, data: Int32Array.from(values) };
    case 'i8':
      return { dtype, shape, data: BigInt64Array.from(values.map((v) => BigInt(Number.isFinite(v) ? Math.trunc(v) : 0))) };
    case 'U3':
      return { dtype, shape, data: values.map(String) };
    default:
      throw new Error(dtype);
  }
}

/** The values the file really holds after the dtype conversion (u1 of 0.5 is 0, of NaN is 0...). */
function stored(arr: NdArray): number[] {
  return Array.from(arr.data as ArrayLike<number | bigint | string>, (v) => Number(v));
}

function writeRaters(c: RatersCase): { file: string; tensor: number[] } {
  const tensor = typed(c.tensorDtype, Array.from(c.tensor));
  tensor.shape = [c.rows, c.Q, c.A];
  const ids = typed(c.idsDtype, c.ids.slice(0, c.R));
  if (c.idsShape === '2d') ids.shape = [c.R, 1];
  const names = Array.from({ length: c.Q }, (_, q) => [`img${q}`, String(q % 3)]);
  const info: NdArray =
    c.infoShape === 'q2' ? { dtype: 'U5', shape: [c.Q, 2], data: names.flat() }
    : c.infoShape === 'q1' ? { dtype: 'U5', shape: [c.Q, 1], data: names.map((n) => n[0]) }
    : c.infoShape === 'flat' ? { dtype: 'U5', shape: [c.Q * 2], data: names.flat() }
    : { dtype: 'i4', shape: [c.Q, 2], data: new Int32Array(c.Q * 2) };
  const members: Record<string, NdArray> = { tensor, info, ids };
  if (c.missing) delete members[c.missing];
  const file = nextFile('raters');
  writeNpz(file, members, { compress: c.R % 2 === 0 });
  return { file, tensor: stored(tensor) };
}

type RatersWant = { ok: true; question: number[]; worker: number[]; answer: number[]; workers: string[]; tasks: string[]; alphabet: string[] } | { ok: false; kind: RegExp };

/** The raters.npz contract, check by check in the documented order. */
function refRaters(c: RatersCase, t: number[]): RatersWant {
  if (c.missing) return { ok: false, kind: new RegExp(`has no array '${c.missing}'`) };
  if (c.idsShape === '2d') return { ok: false, kind: /ids must be 1-D/ };
  if (c.idsDtype === 'f8' || c.idsDtype === 'U3') return { ok: false, kind: /ids must be integers/ };
  const ids = c.ids.slice(0, c.R).map(String);
  const dup = ids.findIndex((id, r) => ids.indexOf(id) < r);
  if (dup >= 0) return { ok: false, kind: new RegExp(`rater id ${ids[dup]} appears twice in ids \\(rows ${ids.indexOf(ids[dup])} and ${dup}\\)`) };
  if (c.infoShape === 'flat' || c.infoShape === 'num') return { ok: false, kind: /info must be a 2-D string array/ };
  if (c.rows > c.R && c.R >= 0 && (c.rows > 0)) {
    // Rows are checked as they stream: a bad value before row R is met first.
    const bad = firstNotOneHot(c, t, c.R);
    return bad ?? { ok: false, kind: /tensor must have shape/ };
  }
  const bad = firstNotOneHot(c, t, c.rows);
  if (bad) return bad;
  if (c.rows !== c.R) return { ok: false, kind: new RegExp(`tensor has ${c.rows} rater rows but ids has ${c.R}`) };
  const answers: Array<[number, number, number]> = [];
  for (let q = 0; q < c.Q; q++) {
    for (let r = 0; r < c.R; r++) {
      const row = t.slice((r * c.Q + q) * c.A, (r * c.Q + q + 1) * c.A);
      const a = row.indexOf(1);
      if (a >= 0) answers.push([q, r, a]);
    }
  }
  const alphabet = c.R === 0 ? ['no', 'maybe', 'yes'] : c.A === 3 ? ['no', 'maybe', 'yes'] : c.A === 2 ? ['no', 'yes'] : Array.from({ length: c.A }, (_, a) => String(a));
  const tasks = Array.from({ length: c.Q }, (_, q) => (c.infoShape === 'q1' ? `img${q}` : `img${q}:${q % 3}`));
  return { ok: true, question: answers.map((x) => x[0]), worker: answers.map((x) => x[1]), answer: answers.map((x) => x[2]), workers: ids, tasks, alphabet };
}

/** The first (rater, question) in rater-major order that is neither all-zero nor one-hot. */
function firstNotOneHot(c: RatersCase, t: number[], rows: number): RatersWant | null {
  for (let r = 0; r < rows; r++) {
    for (let q = 0; q < c.Q; q++) {
      const row = t.slice((r * c.Q + q) * c.A, (r * c.Q + q + 1) * c.A);
      const zeros = row.filter((v) => v === 0).length;
      const ones = row.filter((v) => v === 1).length;
      if (!(zeros === c.A || (ones === 1 && zeros === c.A - 1))) return { ok: false, kind: new RegExp(`tensor\\[${r}, ${q}\\] = \\(.*\\) is not a one-hot answer`) };
    }
  }
  return null;
}

describe('empty members', () => {
  it('round-trip with a valid CRC, stored and deflated (Node 20 zlib.crc32 of an empty buffer returns 0)', () => {
    for (const compress of [false, true]) {
      const file = nextFile('empty');
      writeNpz(file, { a: { dtype: 'i1', shape: [1, 0], data: new Int8Array(0) }, b: { dtype: 'f8', shape: [0], data: new Float64Array(0) } }, { compress });
      const z = readNpz(file);
      expect(z.a.shape).toEqual([1, 0]);
      expect(z.b.data.length).toBe(0);
    }
  });
});

describe('fuzz: raters.npz', () => {
  it('generated archives read as the reference says, or fail typed naming the file', async () => {
    await fc.assert(
      fc.asyncProperty(ratersCase, async (c) => {
        const { file, tensor } = writeRaters(c);
        const got = await outcome(() => readAnswers(file));
        const want = refRaters(c, tensor);
        if (!want.ok) return expectTypedError(got, file, want.kind);
        if (!got.ok) throw new Error(`expected a table, got: ${got.error.message}`);
        const t: AnswerTable = got.value;
        expect({
          question: Array.from(t.question), worker: Array.from(t.worker), answer: Array.from(t.answer),
          workers: t.workers, tasks: t.tasks, alphabet: t.alphabet,
        }).toEqual({ question: want.question, worker: want.worker, answer: want.answer, workers: want.workers, tasks: want.tasks, alphabet: want.alphabet });
        expect(t.numQuestions).toBe(c.Q);
        expect(t.numWorkers).toBe(c.R);
      }),
      { numRuns: RUNS },
    );
  });

  it('truncation at every byte and flipped bytes: the original table or a typed error', async () => {
    const c: RatersCase = { ...fc.sample(ratersCase, { numRuns: 1, seed: 7 })[0] };
    const good: RatersCase = { ...c, R: 3, Q: 4, A: 3, rows: 3, missing: null, idsDtype: 'i8', idsShape: '1d', infoShape: 'q2', ids: [5, 6, 7, 8], tensorDtype: 'f8', tensor: new Float64Array(36) };
    good.tensor[0 * 3 + 2] = 1;
    good.tensor[(1 * 4 + 3) * 3 + 0] = 1;
    good.tensor[(2 * 4 + 1) * 3 + 1] = 1;
    const { file } = writeRaters(good);
    const bytes = fs.readFileSync(file);
    const original = await readAnswers(file);
    const same = (t: AnswerTable) => [Array.from(t.question), Array.from(t.worker), Array.from(t.answer), t.workers, t.tasks];
    const f = path.join(dir, 'cut.npz');
    for (let cut = 0; cut < bytes.length; cut++) {
      fs.writeFileSync(f, bytes.subarray(0, cut));
      expectTypedError(await outcome(() => readAnswers(f)), f, /./);
    }
    await fc.assert(
      fc.asyncProperty(fc.nat(bytes.length - 1), fc.integer({ min: 1, max: 255 }), async (pos, x) => {
        const b = Buffer.from(bytes);
        b[pos] ^= x;
        fs.writeFileSync(f, b);
        const got = await outcome(() => readAnswers(f));
        if (got.ok) expect(same(got.value)).toEqual(same(original));
      }),
      { numRuns: RUNS },
    );
  });
});

// ------------------------------------------------------------ proposals.npz

const INT_DTYPES = ['i1', 'i2', 'i4', 'i8', 'u1', 'u4', 'u8'];
const BIG = [0, 1, 2, 7, 999, 2 ** 31 - 1, 2 ** 31, -1, -(2 ** 31), -(2 ** 31) - 1, 2 ** 40];

function intArray(dtype: string, values: number[], shape: number[]): NdArray {
  const wrap = (v: number, bits: number, signed: boolean) => {
    const m = BigInt.asUintN(bits, BigInt(v));
    return Number(signed ? BigInt.asIntN(bits, m) : m);
  };
  switch (dtype) {
    case 'i1': return { dtype, shape, data: Int8Array.from(values, (v) => wrap(v, 8, true)) };
    case 'i2': return { dtype, shape, data: Int16Array.from(values, (v) => wrap(v, 16, true)) };
    case 'i4': return { dtype, shape, data: Int32Array.from(values, (v) => wrap(v, 32, true)) };
    case 'i8': return { dtype, shape, data: BigInt64Array.from(values, (v) => BigInt(v)) };
    case 'u1': return { dtype, shape, data: Uint8Array.from(values, (v) => wrap(v, 8, false)) };
    case 'u4': return { dtype, shape, data: Uint32Array.from(values, (v) => wrap(v, 32, false)) };
    case 'u8': return { dtype, shape, data: BigUint64Array.from(values, (v) => BigInt.asUintN(64, BigInt(v))) };
    case 'f4': return { dtype, shape, data: Float32Array.from(values) };
    default: throw new Error(dtype);
  }
}

const member = fc.record({
  dtype: fc.constantFrom(...INT_DTYPES, 'i4', 'i8', 'f4'),
  values: fc.array(fc.oneof({ weight: 5, arbitrary: fc.nat(50) }, { weight: 1, arbitrary: fc.constantFrom(...BIG) }), { maxLength: 6 }),
  twoD: fc.oneof({ weight: 6, arbitrary: fc.constant(false) }, { weight: 1, arbitrary: fc.constant(true) }),
});

const proposalsCase = fc.record({
  layout: fc.constantFrom('pairs', 'pairs', 'pairs', 'info'),
  image: member,
  label: member,
  top1: fc.option(member, { freq: 3 }),
  original: fc.option(member, { freq: 3 }),
  drop: fc.constantFrom(null, null, null, null, 'image', 'label'),
  info: fc.array(fc.tuple(fc.constantFrom('ILSVRC2012_val_00000001.JPEG', 'ILSVRC2012_val_00049999.JPEG', 'ILSVRC2012_val_00000000.JPEG', 'x.JPEG', 'ILSVRC2012_val_1.JPEG'), fc.constantFrom('0', '17', '999', '-1', 'a', '1.5', '', '2147483647', '2147483648', '99999999999999999999')), { maxLength: 5 }),
  infoCols: fc.constantFrom(2, 2, 2, 3),
});

type ProposalsCase = typeof proposalsCase extends fc.Arbitrary<infer T> ? T : never;

/** The value an integer member holds, as stored in its dtype. */
function storedInts(arr: NdArray): number[] {
  return Array.from(arr.data as ArrayLike<number | bigint>, (v) => Number(v));
}

type ProposalsWant = { ok: true; value: { image: number[]; label: number[]; top1?: { data: number[]; models: number; n: number }; original?: number[] } } | { ok: false; kind: RegExp };

function refVector(arr: NdArray, what: string): number[] | { ok: false; kind: RegExp } {
  if (arr.shape.length !== 1) return { ok: false, kind: new RegExp(`'${what}' must be 1-D`) };
  return refInts(arr, what);
}

function refInts(arr: NdArray, what: string): number[] | { ok: false; kind: RegExp } {
  if (!INT_DTYPES.includes(arr.dtype)) return { ok: false, kind: new RegExp(`${what} must have an integer dtype`) };
  const v = storedInts(arr);
  const i = v.findIndex((x) => x < -(2 ** 31) || x > 2 ** 31 - 1);
  if (i >= 0) return { ok: false, kind: new RegExp(`${what}\\[${i}\\] = .* does not fit in int32`) };
  return v;
}

function build(c: ProposalsCase): { members: Record<string, NdArray>; want: ProposalsWant } {
  const members: Record<string, NdArray> = {};
  const mk = (m: typeof c.image) => intArray(m.dtype, m.values, m.twoD ? [1, m.values.length] : [m.values.length]);
  let want: ProposalsWant;
  if (c.layout === 'info') {
    const data = c.info.flatMap(([name, label]) => (c.infoCols === 2 ? [name, label] : [name, label, 'x']));
    members.info = { dtype: 'U28', shape: [c.info.length, c.infoCols], data };
    if (c.infoCols !== 2) want = { ok: false, kind: /'info' must be a \[P, 2\] string array/ };
    else {
      want = { ok: true, value: { image: [], label: [] } };
      for (let i = 0; i < c.info.length; i++) {
        const [name, label] = c.info[i];
        const m = /^ILSVRC2012_val_(\d{8})\.JPEG$/.exec(name);
        if (!m || Number(m[1]) < 1) { want = { ok: false, kind: new RegExp(`info\\[${i}\\]: '.*' is not an ILSVRC2012_val_XXXXXXXX.JPEG file name`) }; break; }
        if (!/^\d+$/.test(label)) { want = { ok: false, kind: new RegExp(`info\\[${i}\\]: label '.*' is not a decimal class index`) }; break; }
        if (Number(label) > 2 ** 31 - 1) { want = { ok: false, kind: new RegExp(`info\\[${i}\\]: label \\d+ does not fit in int32`) }; break; }
        want.value.image.push(Number(m[1]) - 1);
        want.value.label.push(Number(label));
      }
    }
  } else {
    members.image = mk(c.image);
    members.label = mk(c.label);
    if (c.drop) delete members[c.drop];
    const image = c.drop === 'image' ? null : refVector(members.image, 'image');
    const label = c.drop === 'label' ? null : refVector(members.label, 'label');
    if (c.drop) want = { ok: false, kind: new RegExp(`has no array '${c.drop}'`) };
    else if (!Array.isArray(image)) want = image!;
    else if (!Array.isArray(label)) want = label!;
    else want = { ok: true, value: { image, label } };
  }
  if (c.top1) {
    const m = c.top1;
    members.top1 = intArray(m.dtype, m.values, m.twoD ? [1, m.values.length] : [m.values.length]);
    if (want.ok) {
      if (!m.twoD) want = { ok: false, kind: /'top1' must be 2-D \[models, images\]/ };
      else {
        const v = refInts(members.top1, 'top1');
        want = Array.isArray(v) ? { ok: true, value: { ...want.value, top1: { data: v, models: 1, n: m.values.length } } } : v;
      }
    }
  }
  if (c.original) {
    members.original = mk(c.original);
    if (want.ok) {
      const v = refVector(members.original, 'original');
      want = Array.isArray(v) ? { ok: true, value: { ...want.value, original: v } } : v;
    }
  }
  return { members, want };
}

function plain(t: TasksInput) {
  return {
    image: Array.from(t.image), label: Array.from(t.label),
    ...(t.top1 ? { top1: { data: Array.from(t.top1.data), models: t.top1.models, n: t.top1.n } } : {}),
    ...(t.original ? { original: Array.from(t.original) } : {}),
  };
}

describe('fuzz: proposals.npz', () => {
  it('generated archives read as the reference says (async and sync readers agree), or fail typed', async () => {
    await fc.assert(
      fc.asyncProperty(proposalsCase, async (c) => {
        const { members, want } = build(c);
        const file = nextFile('proposals');
        writeNpz(file, members, { compress: c.image.values.length % 2 === 0 });
        for (const read of [readProposalPairs, readProposalPairsSync]) {
          const got = await outcome(() => read(file));
          if (!want.ok) expectTypedError(got, file, want.kind);
          else if (!got.ok) throw new Error(`expected pairs, got: ${got.error.message}`);
          else expect(plain(got.value)).toEqual(want.value);
        }
      }),
      { numRuns: RUNS },
    );
  });

  it('truncation at every byte and flipped bytes: the original pairs or a typed error', async () => {
    const file = path.join(dir, 'good-proposals.npz');
    writeNpz(file, {
      image: { dtype: 'i4', shape: [3], data: Int32Array.from([0, 0, 2]) },
      label: { dtype: 'i8', shape: [3], data: BigInt64Array.from([5n, 9n, 1n]) },
      top1: { dtype: 'i2', shape: [2, 3], data: Int16Array.from([5, 1, 1, 9, 1, 1]) },
      original: { dtype: 'u2', shape: [3], data: Uint16Array.from([5, 3, 1]) },
    }, { compress: true });
    const bytes = fs.readFileSync(file);
    const original = plain(await readProposalPairs(file));
    const f = path.join(dir, 'cut-proposals.npz');
    for (let cut = 0; cut < bytes.length; cut++) {
      fs.writeFileSync(f, bytes.subarray(0, cut));
      expectTypedError(await outcome(() => readProposalPairs(f)), f, /./);
    }
    await fc.assert(
      fc.asyncProperty(fc.nat(bytes.length - 1), fc.integer({ min: 1, max: 255 }), async (pos, x) => {
        const b = Buffer.from(bytes);
        b[pos] ^= x;
        fs.writeFileSync(f, b);
        const got = await outcome(() => readProposalPairs(f));
        if (!got.ok) return;
        // Data is CRC-checked; a flip in a name can only hide an optional member.
        const { top1, original: orig, ...pairs } = original;
        const value = plain(got.value);
        expect(value).toEqual({ ...pairs, ...('top1' in value ? { top1 } : {}), ...('original' in value ? { original: orig } : {}) });
      }),
      { numRuns: RUNS },
    );
  });
});

// ------------------------------------------------------------ golden.npz (select-models)

const goldCase = fc.record({
  R: fc.integer({ min: 0, max: 4 }),
  Q: fc.integer({ min: 0, max: 5 }),
  A: fc.constantFrom(3, 3, 3, 2),
  dtype: fc.constantFrom('f8', 'f8', 'f4', 'i4'),
  values: fc.array(fc.constantFrom(0, 0, 1, 1, 0.5, 0.75, NaN, 2), { minLength: 60, maxLength: 60 }),
  names: fc.array(fc.tuple(fc.constantFrom('ILSVRC2012_val_00000001.JPEG', 'ILSVRC2012_val_00000002.JPEG', 'ILSVRC2012_val_00000000.JPEG', 'x.JPEG'),
    fc.constantFrom('0', '5', '5', '-1', 'x', '2147483647', '2147483648')), { minLength: 5, maxLength: 5 }),
  infoShape: fc.constantFrom('q2', 'q2', 'q2', 'q3', 'num'),
  missing: fc.constantFrom(null, null, null, null, 'tensor', 'info'),
  minYes: fc.integer({ min: 0, max: 5 }),
});

describe('fuzz: golden.npz', () => {
  it('generated archives read as the reference says, or fail typed naming the file', async () => {
    await fc.assert(
      fc.asyncProperty(goldCase, async (c) => {
        const n = c.R * c.Q * c.A;
        const t = c.values.slice(0, n);
        const tensor: NdArray = c.dtype === 'i4' ? { dtype: 'i4', shape: [c.R, c.Q, c.A], data: Int32Array.from(t, (v) => (Number.isFinite(v) ? v : 0)) }
          : { dtype: c.dtype, shape: [c.R, c.Q, c.A], data: c.dtype === 'f8' ? Float64Array.from(t) : Float32Array.from(t) };
        const names = c.names.slice(0, c.Q);
        const info: NdArray = c.infoShape === 'num' ? { dtype: 'i4', shape: [c.Q, 2], data: new Int32Array(c.Q * 2) }
          : { dtype: 'U28', shape: [c.Q, c.infoShape === 'q2' ? 2 : 3], data: names.flatMap(([a, b]) => (c.infoShape === 'q2' ? [a, b] : [a, b, 'x'])) };
        const members: Record<string, NdArray> = { tensor, info };
        if (c.missing) delete members[c.missing];
        const file = nextFile('golden');
        writeNpz(file, members, { compress: true });
        const got = await outcome(() => readGold(file, { minYes: c.minYes }));
        // The reference, check by check.
        let kind: RegExp | null = null;
        if (c.missing) kind = new RegExp(`has no array '${c.missing}'`);
        else if (c.A !== 3 || c.dtype === 'i4') kind = /'tensor' must be float \[R, Q, 3\]/;
        else if (c.infoShape !== 'q2') kind = /'info' must be strings/;
        else if (c.minYes < 1 || c.minYes > c.R) kind = /`minYes` must be in/; // the library names its option
        else {
          const seen = new Set<string>();
          for (let q = 0; q < c.Q && !kind; q++) {
            const [name, label] = names[q];
            const m = /^ILSVRC2012_val_(\d{8})\.JPEG$/.exec(name);
            if (!m || Number(m[1]) < 1) kind = new RegExp(`question ${q}: '.*' is not an ILSVRC2012_val_XXXXXXXX.JPEG name`);
            else if (!/^\d+$/.test(label)) kind = new RegExp(`question ${q}: label '.*' is not a class index`);
            else if (Number(label) > 2 ** 31 - 1) kind = new RegExp(`question ${q}: label \\d+ does not fit in int32`);
            else if (seen.has(`${name},${label}`)) kind = new RegExp(`question ${q} repeats`);
            seen.add(`${name},${label}`);
          }
        }
        if (kind) return expectTypedError(got, file, kind);
        if (!got.ok) throw new Error(`expected gold questions, got: ${got.error.message}`);
        const stored = Array.from(tensor.data as Float64Array);
        const yes = Array.from({ length: c.Q }, (_, q) => Array.from({ length: c.R }, (_, r) => stored[(r * c.Q + q) * 3 + 2] > 0.5).filter(Boolean).length);
        expect(Array.from(got.value.image)).toEqual(names.map(([a]) => Number(a.slice(15, 23)) - 1));
        expect(Array.from(got.value.label)).toEqual(names.map(([, b]) => Number(b)));
        expect(Array.from(got.value.yes)).toEqual(yes);
        expect(Array.from(got.value.positive)).toEqual(yes.map((y) => (y >= c.minYes ? 1 : 0)));
      }),
      { numRuns: RUNS },
    );
  });
});
