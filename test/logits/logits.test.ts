import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { logits, type LogitsOptions } from '../../src/logits/logits';
import { preprocessImage } from '../../src/logits/preprocess';
import { tmpDir } from '../helpers/tmp';
import { readF4, writeCorrupt, writeKinds } from './fixtures';
import { buildClassifier } from './onnx-model';

process.env.ORT_DISABLE_TELEMETRY = '1';

const dir = tmpDir('realabel-logits-');
const images = path.join(dir, 'images');
const SIZE = 32;
const RESIZE = 40;
const CLASSES = 5;
const nchw = buildClassifier({ inputSize: SIZE, classes: CLASSES, filters: 6, stride: 2, seed: 11 });
const nhwc = buildClassifier({ inputSize: SIZE, classes: CLASSES, filters: 6, stride: 2, seed: 11, layout: 'nhwc' });
let names: string[];
let model: string;

const base = (out: string, extra: Partial<LogitsOptions> = {}): LogitsOptions => ({
  model,
  images,
  out: path.join(dir, out),
  inputSize: SIZE,
  resize: RESIZE,
  batch: 4,
  workers: 1,
  ...extra,
});

beforeAll(async () => {
  names = await writeKinds(images);
  model = nchw.save(path.join(dir, 'tiny.onnx'));
  nhwc.save(path.join(dir, 'tiny-nhwc.onnx'));
});

let cleanRun: Promise<string> | undefined;
/** The reference output file: a clean run with batch 4 and 1 worker (made once). */
function clean(): Promise<string> {
  cleanRun ??= logits(base('one.npy')).then((r) => r.out);
  return cleanRun;
}

/** The plain-TS forward pass on the same preprocessed pixels. */
async function reference(files: string[], layout: 'nchw' | 'nhwc'): Promise<Float64Array> {
  const net = layout === 'nchw' ? nchw : nhwc;
  const per = 3 * SIZE * SIZE;
  const x = new Float32Array(files.length * per);
  for (const [i, f] of files.entries()) x.set(await preprocessImage(f, { inputSize: SIZE, resize: RESIZE, layout }), i * per);
  return net.forward(x, files.length);
}

function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  expect(a.length).toBe(b.length);
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
}

describe('logits over a folder', () => {
  let res: Awaited<ReturnType<typeof logits>>;

  beforeAll(async () => {
    res = await logits(base('one.npy'));
    cleanRun = Promise.resolve(res.out);
  });

  test('rows are the sorted image files; non-images are ignored; the order is written beside the output', () => {
    expect(names.length).toBe(11);
    expect(res.images).toBe(names.length);
    expect(fs.readFileSync(res.filesList, 'utf8')).toBe(names.map((n) => `${n}\n`).join(''));
    expect(res.filesList).toBe(path.join(dir, 'one.npy.files.txt'));
    expect(res.classes).toBe(CLASSES);
  });

  test('logits equal a plain-TS forward pass to 1e-4', async () => {
    const { shape, data } = readF4(res.out);
    expect(shape).toEqual([names.length, CLASSES]);
    const want = await reference(names.map((n) => path.join(images, n)), 'nchw');
    expect(maxAbsDiff(data, want)).toBeLessThan(1e-4);
    // and the rows are not all alike (the test would be weak otherwise)
    expect(maxAbsDiff(data.subarray(0, CLASSES), data.subarray(CLASSES, 2 * CLASSES))).toBeGreaterThan(1e-3);
  });

  const numpy = spawnSync('python3', ['-c', 'import numpy'], { encoding: 'utf8' }).status === 0;
  (numpy ? test : test.skip)('numpy reads the output (skipped without python3 + numpy)', () => {
    const code = 'import numpy as np, sys; a = np.load(sys.argv[1]); print(a.dtype, a.shape, repr(float(a.astype(np.float64).sum())))';
    const r = spawnSync('python3', ['-c', code, res.out], { encoding: 'utf8' });
    expect(r.status).toBe(0);
    const [dtype, ...rest] = r.stdout.trim().split(' ');
    expect(dtype).toBe('float32');
    const sum = Number(rest.pop());
    expect(rest.join(' ')).toBe(`(${names.length}, ${CLASSES})`);
    expect(sum).toBeCloseTo(readF4(res.out).data.reduce((a, b) => a + b, 0), 4);
  });

  test('no partial files are left behind', () => {
    expect(fs.existsSync(`${res.out}.partial`)).toBe(false);
    expect(fs.existsSync(`${res.out}.partial.json`)).toBe(false);
    expect(fs.readdirSync(dir).filter((f) => f.endsWith('.tmp'))).toEqual([]);
  });

  test('1 and 2 workers, and other batch sizes, give identical files', async () => {
    const two = await logits(base('two.npy', { workers: 2 }));
    expect(fs.readFileSync(two.out).equals(fs.readFileSync(res.out))).toBe(true);
    const b3 = await logits(base('b3.npy', { workers: 2, batch: 3 }));
    expect(maxAbsDiff(readF4(b3.out).data, readF4(res.out).data)).toBeLessThan(1e-6);
  });

  test('an NHWC model with the same weights', async () => {
    const out = await logits(base('nhwc.npy', { model: path.join(dir, 'tiny-nhwc.onnx'), layout: 'nhwc' }));
    const { data } = readF4(out.out);
    const want = await reference(names.map((n) => path.join(images, n)), 'nhwc');
    expect(maxAbsDiff(data, want)).toBeLessThan(1e-4);
    expect(maxAbsDiff(data, readF4(res.out).data)).toBeLessThan(1e-4);
  });

  test('a list file keeps its order', async () => {
    const list = path.join(dir, 'list.txt');
    const order = [...names].reverse().slice(0, 5);
    fs.writeFileSync(list, order.map((n) => `images/${n}`).join('\n') + '\n\n');
    const out = await logits(base('list.npy', { images: list }));
    expect(fs.readFileSync(out.filesList, 'utf8').trim().split('\n')).toEqual(order.map((n) => `images/${n}`));
    const all = readF4(res.out).data;
    const got = readF4(out.out).data;
    order.forEach((n, i) => {
      const j = names.indexOf(n);
      expect(maxAbsDiff(got.subarray(i * CLASSES, (i + 1) * CLASSES), all.subarray(j * CLASSES, (j + 1) * CLASSES))).toBeLessThan(1e-6);
    });
  });

  test('a model with a fixed batch size pads the last batch', async () => {
    const fixed = buildClassifier({ inputSize: SIZE, classes: CLASSES, filters: 6, stride: 2, seed: 11, fixedBatch: 4 });
    const m = fixed.save(path.join(dir, 'fixed4.onnx'));
    const out = await logits(base('fixed.npy', { model: m, batch: undefined }));
    expect(out.batch).toBe(4);
    expect(maxAbsDiff(readF4(out.out).data, readF4(res.out).data)).toBeLessThan(1e-6);
    await expect(logits(base('fixed.npy', { model: m, batch: 8 }))).rejects.toThrow(/fixed batch size of 4; use `batch` 4/);
  });
});

describe('unreadable images', () => {
  const bad = path.join(dir, 'bad');

  beforeAll(async () => {
    await writeKinds(bad);
    await writeCorrupt(path.join(bad, 'c_broken.jpg'));
    fs.writeFileSync(path.join(bad, 'z_empty.png'), '');
  });

  test('stop the run with an error naming the file, and leave no output', async () => {
    const opts = base('bad.npy', { images: bad });
    await expect(logits(opts)).rejects.toMatchObject({ name: 'FormatError', file: path.join(bad, 'c_broken.jpg') });
    await expect(logits(opts)).rejects.toThrow(/c_broken\.jpg: cannot decode image/);
    expect(fs.existsSync(opts.out)).toBe(false);
  });

  test('--skip-bad fills their rows with NaN and lists them', async () => {
    const res = await logits(base('skip.npy', { images: bad, skipBad: true }));
    const files = fs.readFileSync(res.filesList, 'utf8').trim().split('\n');
    expect(fs.readFileSync(res.skippedList!, 'utf8')).toBe('c_broken.jpg\nz_empty.png\n');
    expect(res.skipped.map((s) => s.row)).toEqual([files.indexOf('c_broken.jpg'), files.indexOf('z_empty.png')]);
    const { data } = readF4(res.out);
    const good = readF4(await clean()).data;
    files.forEach((f, i) => {
      const row = data.subarray(i * CLASSES, (i + 1) * CLASSES);
      if (f === 'c_broken.jpg' || f === 'z_empty.png') {
        expect(Array.from(row).every(Number.isNaN)).toBe(true);
      } else {
        const j = names.indexOf(f);
        expect(maxAbsDiff(row, good.subarray(j * CLASSES, (j + 1) * CLASSES))).toBeLessThan(1e-6);
      }
    });
  });

  test('after a failure, fixing the file and resuming continues from the kept rows', async () => {
    const fixDir = path.join(dir, 'fix');
    await writeKinds(fixDir);
    await writeCorrupt(path.join(fixDir, 'h_more_2.jpg')); // replaces a good image, row 9 of 11
    const opts = base('fix.npy', { images: fixDir });
    await expect(logits(opts)).rejects.toThrow(/h_more_2\.jpg/);
    const state = JSON.parse(fs.readFileSync(`${opts.out}.partial.json`, 'utf8'));
    expect(state.rowsDone).toBe(8);
    await writeKinds(fixDir); // rewrites the good image
    const res = await logits({ ...opts, resume: true });
    expect(res.resumedFrom).toBe(8);
    expect(fs.readFileSync(res.out).equals(fs.readFileSync(await clean()))).toBe(true);
  });
});

describe('model/input mismatches are reported before any image is read', () => {
  // Every image here is unreadable: an image error would mean the model was not checked first.
  const junk = path.join(dir, 'junk');
  beforeAll(async () => {
    fs.mkdirSync(junk, { recursive: true });
    await writeCorrupt(path.join(junk, 'x.jpg'));
  });
  const run = (extra: Partial<LogitsOptions>) => logits(base('mismatch.npy', { images: junk, ...extra }));

  test('wrong input name', async () => {
    await expect(run({ inputName: 'pixels' })).rejects.toThrow(/model has no input 'pixels' \(its inputs: 'input'\)/);
  });
  test('wrong input size', async () => {
    await expect(run({ inputSize: 48, resize: 48 })).rejects.toThrow(/has shape \[N, 3, 32, 32\], expected \[N, 3, 48, 48\]/);
  });
  test('wrong layout, with a hint', async () => {
    await expect(run({ layout: 'nhwc' })).rejects.toThrow(/try `layout` nchw/);
  });
  test('wrong number of classes', async () => {
    await expect(run({ classes: 1000 })).rejects.toThrow(/has 5 classes, expected 1000/);
  });
  test('an output that is not 2-D', async () => {
    const m = buildClassifier({ inputSize: SIZE, classes: CLASSES, output3d: true }).save(path.join(dir, 'out3d.onnx'));
    await expect(run({ model: m })).rejects.toThrow(/shape \[2, 1, 5\] for a batch of 2; expected 2-D/);
  });
  test('a file that is not a model', async () => {
    const m = path.join(dir, 'not-a-model.onnx');
    fs.writeFileSync(m, 'hello');
    await expect(run({ model: m })).rejects.toMatchObject({ name: 'FormatError', file: m });
    await expect(run({ model: path.join(dir, 'absent.onnx') })).rejects.toThrow(/model file not found/);
  });
  test('nothing was written', () => {
    expect(fs.existsSync(path.join(dir, 'mismatch.npy'))).toBe(false);
    expect(fs.existsSync(path.join(dir, 'mismatch.npy.partial'))).toBe(false);
  });
});

describe('resume', () => {
  test('an aborted run resumes to the same bytes as a clean run', async () => {
    const controller = new AbortController();
    const opts = base('resumed.npy', { batch: 2, workers: 2, signal: controller.signal, onProgress: (done) => done >= 4 && controller.abort() });
    await expect(logits(opts)).rejects.toMatchObject({ name: 'InterruptedError' });
    expect(fs.existsSync(opts.out)).toBe(false);
    const state = JSON.parse(fs.readFileSync(`${opts.out}.partial.json`, 'utf8'));
    expect(state.rowsDone).toBeGreaterThanOrEqual(4);
    expect(state.rowsDone).toBeLessThan(names.length);
    // Garbage after the recorded rows (a chunk in flight at the interruption) is discarded.
    fs.appendFileSync(`${opts.out}.partial`, Buffer.alloc(13, 0xab));
    const res = await logits({ ...opts, signal: undefined, onProgress: undefined, resume: true });
    expect(res.resumedFrom).toBe(state.rowsDone);
    const clean = await logits(base('clean.npy', { batch: 2 }));
    expect(fs.readFileSync(res.out).equals(fs.readFileSync(clean.out))).toBe(true);
  });

  test('resuming with different options is refused, naming the difference', async () => {
    const controller = new AbortController();
    const opts = base('refused.npy', { signal: controller.signal, onProgress: () => controller.abort() });
    await expect(logits(opts)).rejects.toMatchObject({ name: 'InterruptedError' });
    await expect(logits({ ...opts, signal: undefined, resume: true, resize: 48 })).rejects.toThrow(/cannot resume.*resize \(was 40, now 48\)/);
    await expect(logits({ ...opts, signal: undefined, resume: true, batch: 8 })).rejects.toThrow(/batch \(was 4, now 8\)/);
    // without --resume it starts over
    const res = await logits({ ...opts, signal: undefined, onProgress: undefined });
    expect(res.resumedFrom).toBe(0);
    expect(fs.readFileSync(res.out).equals(fs.readFileSync(await clean()))).toBe(true);
  });

  test('--resume with nothing to resume starts from the beginning', async () => {
    const res = await logits(base('fresh.npy', { resume: true }));
    expect(res.resumedFrom).toBe(0);
    expect(fs.readFileSync(res.out).equals(fs.readFileSync(await clean()))).toBe(true);
  });
});

describe('inputs and outputs', () => {
  test('a single image file is a one-row run', async () => {
    const res = await logits(base('single.npy', { images: path.join(images, 'b_tall.png') }));
    expect(readF4(res.out).shape).toEqual([1, CLASSES]);
    const all = readF4(await clean()).data;
    const j = names.indexOf('b_tall.png');
    expect(maxAbsDiff(readF4(res.out).data, all.subarray(j * CLASSES, (j + 1) * CLASSES))).toBeLessThan(1e-6);
  });
  test('a missing image in a list names it', async () => {
    const list = path.join(dir, 'missing.txt');
    fs.writeFileSync(list, 'images/a_photo.jpg\nimages/nope.jpg\n');
    await expect(logits(base('missing.npy', { images: list }))).rejects.toThrow(/images\/nope\.jpg: image file not found/);
  });
  test('an empty folder, a folder as --out, a missing output folder', async () => {
    const empty = path.join(dir, 'empty');
    fs.mkdirSync(empty, { recursive: true });
    await expect(logits(base('e.npy', { images: empty }))).rejects.toThrow(/no images to process/);
    await expect(logits(base('e.npy', { out: images }))).rejects.toThrow(/is a folder/);
    await expect(logits(base('e.npy', { out: path.join(dir, 'no', 'where.npy') }))).rejects.toThrow(/output folder does not exist/);
  });
});
