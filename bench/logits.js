#!/usr/bin/env node
// `realabel logits` throughput on generated data (no downloads): ImageNet-
// sized JPEGs (500×375 and 375×500, quality 90) and a generated conv net of
// ~27 MFLOPs per 224² image (4 stride-2 3×3 convs + ReLU, global average
// pool, 1000-way Gemm). Measures, in images/s:
//   - where the time goes, one image at a time on one thread: decode only,
//     decode+orient+resize+crop (sharp), normalise, inference, write;
//   - preprocessing through the Piscina pool with 1 and 2 workers;
//   - end-to-end `logits()` with 1 and 2 workers (and 1 worker × 2 intra-op threads).
// Timed runs (median of REPEATS) rather than benchmark.js: each sample is a
// multi-second pipeline run. Run `npx tsc -p tsconfig.json` first.
// Writes bench/results/logits.json. REALABEL_BENCH_IMAGES=n changes the image count.
'use strict';
process.env.ORT_DISABLE_TELEMETRY = process.env.ORT_DISABLE_TELEMETRY || '1';
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const sharp = require('sharp');
const ort = require('onnxruntime-node');
const { onnx } = require('onnx-proto');

const root = path.join(__dirname, '..');
const dist = (m) => require(path.join(root, 'dist', m));
const { logits } = dist('logits/logits');
const { loadRgb, normaliseInto, normaliseTable, resolvePreprocess } = dist('logits/preprocess');
const { PartialOutput } = dist('logits/partial');
const { createPool } = dist('util/workers');

const COUNT = Number(process.env.REALABEL_BENCH_IMAGES || 192);
const REPEATS = 3;
const BATCH = 32;
const CLASSES = 1000;

// ---- generated inputs -------------------------------------------------------

function seeded(seed) {
  let h = seed >>> 0;
  return () => ((h = (Math.imul(h, 1664525) + 1013904223) >>> 0) / 4294967296);
}

async function writeImages(dir) {
  fs.mkdirSync(dir, { recursive: true });
  for (let i = 0; i < COUNT; i++) {
    // A 50×38 random mosaic upscaled with a cubic kernel plus fine noise: photo-like entropy for the JPEG coder.
    const next = seeded(i + 1);
    const [w, h] = i % 4 === 3 ? [375, 500] : [500, 375];
    const small = Buffer.alloc(50 * 38 * 3);
    for (let j = 0; j < small.length; j++) small[j] = Math.floor(next() * 256);
    const big = await sharp(small, { raw: { width: i % 4 === 3 ? 38 : 50, height: i % 4 === 3 ? 50 : 38, channels: 3 } })
      .resize(w, h, { kernel: 'cubic', fit: 'fill' })
      .raw()
      .toBuffer();
    for (let j = 0; j < big.length; j++) big[j] = Math.max(0, Math.min(255, big[j] + Math.floor(next() * 24) - 12));
    await sharp(big, { raw: { width: w, height: h, channels: 3 } })
      .jpeg({ quality: 90 })
      .toFile(path.join(dir, `ILSVRC2012_val_${String(i + 1).padStart(8, '0')}.JPEG`));
  }
}

function buildModel(file) {
  const next = seeded(7);
  const FLOAT = onnx.TensorProto.DataType.FLOAT;
  const init = [];
  const nodes = [];
  const weights = (name, dims, scale) => {
    const n = dims.reduce((a, b) => a * b, 1);
    const data = new Array(n);
    for (let i = 0; i < n; i++) data[i] = (next() * 2 - 1) * scale;
    init.push({ name, dims, dataType: FLOAT, floatData: data });
  };
  const ints = (name, v) => ({ name, type: onnx.AttributeProto.AttributeType.INTS, ints: v });
  let x = 'input';
  let cin = 3;
  let macs = 0;
  let side = 224;
  for (const [i, cout] of [8, 16, 32, 64].entries()) {
    weights(`w${i}`, [cout, cin, 3, 3], Math.sqrt(2 / (cin * 9)));
    weights(`b${i}`, [cout], 0.05);
    side /= 2;
    macs += side * side * cout * cin * 9;
    nodes.push({
      opType: 'Conv',
      input: [x, `w${i}`, `b${i}`],
      output: [`c${i}`],
      attribute: [ints('kernel_shape', [3, 3]), ints('pads', [1, 1, 1, 1]), ints('strides', [2, 2])],
    });
    nodes.push({ opType: 'Relu', input: [`c${i}`], output: [`r${i}`] });
    x = `r${i}`;
    cin = cout;
  }
  nodes.push({ opType: 'GlobalAveragePool', input: [x], output: ['gap'] });
  nodes.push({ opType: 'Flatten', input: ['gap'], output: ['flat'] });
  weights('fc_w', [CLASSES, cin], 0.1);
  weights('fc_b', [CLASSES], 0.01);
  macs += cin * CLASSES;
  nodes.push({ opType: 'Gemm', input: ['flat', 'fc_w', 'fc_b'], output: ['logits'], attribute: [{ name: 'transB', type: 2, i: 1 }] });
  const vi = (name, dims) => ({
    name,
    type: { tensorType: { elemType: FLOAT, shape: { dim: dims.map((d) => (typeof d === 'number' ? { dimValue: d } : { dimParam: d })) } } },
  });
  const model = {
    irVersion: 7,
    opsetImport: [{ domain: '', version: 13 }],
    producerName: 'realabel-bench',
    graph: { name: 'bench_convnet', node: nodes, initializer: init, input: [vi('input', ['N', 3, 224, 224])], output: [vi('logits', ['N', CLASSES])] },
  };
  fs.writeFileSync(file, onnx.ModelProto.encode(onnx.ModelProto.create(model)).finish());
  return { mflops: (2 * macs) / 1e6 };
}

// ---- timing helpers ---------------------------------------------------------

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const rate = (n, ms) => Math.round((n / (ms / 1000)) * 10) / 10;

async function timed(fn) {
  const samples = [];
  for (let r = 0; r < REPEATS; r++) {
    const t = performance.now();
    await fn();
    samples.push(performance.now() - t);
  }
  return median(samples);
}

// ---- measurements -----------------------------------------------------------

async function perStage(files, model) {
  const pre = resolvePreprocess({});
  const sample = files.slice(0, 64);
  const decode = await timed(async () => {
    for (const f of sample) await sharp(f).raw().toBuffer();
  });
  const full = await timed(async () => {
    for (const f of sample) await loadRgb(f, pre);
  });
  const rgbs = [];
  for (const f of sample) rgbs.push(await loadRgb(f, pre));
  const table = normaliseTable(pre);
  const per = 3 * 224 * 224;
  const input = new Float32Array(BATCH * per);
  const norm = await timed(async () => {
    for (let rep = 0; rep < 4; rep++) rgbs.forEach((rgb, i) => normaliseInto(rgb, 224, 'nchw', table, input, (i % BATCH) * per));
  });
  const session = await ort.InferenceSession.create(model, { intraOpNumThreads: 1, interOpNumThreads: 1, executionMode: 'sequential' });
  const tensor = new ort.Tensor('float32', input, [BATCH, 3, 224, 224]);
  await session.run({ input: tensor });
  const infer = await timed(async () => {
    for (let b = 0; b < 2; b++) await session.run({ input: tensor });
  });
  await session.release();
  const out = path.join(os.tmpdir(), `realabel-bench-write-${process.pid}.npy`);
  const rows = new Float32Array(BATCH * CLASSES).fill(0.5);
  const fp = { model: { path: 'm', size: 0, sha256: '' }, images: { count: 0, sha256: '' }, options: {} };
  const write = await timed(async () => {
    const part = PartialOutput.open(out, 8 * BATCH, CLASSES, fp, false);
    for (let b = 0; b < 8; b++) part.append(rows);
    part.finish();
  });
  fs.rmSync(out, { force: true });
  return {
    note: 'one image at a time, one thread (sharp concurrency 1), 224² crop of 500×375 JPEGs; images/s per stage',
    decode_only: rate(sample.length, decode),
    decode_resize_crop: rate(sample.length, full),
    resize_crop_share_of_preprocessing: Math.round((1 - decode / full) * 1000) / 1000,
    normalise: rate(4 * sample.length, norm),
    inference_intra1_batch32: rate(2 * BATCH, infer),
    write_rows_with_fdatasync: rate(8 * BATCH, write),
  };
}

async function poolPreprocess(files, workers) {
  const pool = createPool('logits/worker.ts', workers);
  const pre = resolvePreprocess({});
  const batches = [];
  for (let i = 0; i < files.length; i += BATCH) batches.push(files.slice(i, i + BATCH));
  const run = () => Promise.all(batches.map((b) => pool.run({ files: b, pre }, { name: 'preprocessOnly' })));
  await run(); // warm-up: workers start, sharp loads
  const ms = await timed(run);
  await pool.destroy();
  return rate(files.length, ms);
}

async function endToEnd(dir, model, workers, intraOpThreads) {
  const out = path.join(os.tmpdir(), `realabel-bench-${process.pid}-${workers}-${intraOpThreads}.npy`);
  let last;
  const ms = await timed(async () => {
    last = await logits({ model, images: dir, out, workers, intraOpThreads, batch: BATCH });
  });
  const bytes = fs.readFileSync(out);
  for (const f of [out, `${out}.files.txt`]) fs.rmSync(f, { force: true });
  return { images_per_s_wall: rate(COUNT, ms), run_images_per_s: last.imagesPerSecond, timings_ms: last.timings_ms, bytes };
}

async function main() {
  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'realabel-bench-logits-'));
  try {
    const dir = path.join(work, 'val');
    const model = path.join(work, 'convnet.onnx');
    const t = performance.now();
    await writeImages(dir);
    const { mflops } = buildModel(model);
    const files = fs.readdirSync(dir).sort().map((f) => path.join(dir, f));
    console.log(`${COUNT} images, model ${mflops.toFixed(1)} MFLOPs/image (setup ${Math.round(performance.now() - t)} ms)`);
    const loadBefore = os.loadavg();

    const stages = await perStage(files, model);
    console.log('per stage (1 thread):', stages);
    const pre1 = await poolPreprocess(files, 1);
    const pre2 = await poolPreprocess(files, 2);
    console.log(`preprocessing via pool: 1 worker ${pre1}/s, 2 workers ${pre2}/s`);
    const e1 = await endToEnd(dir, model, 1, 1);
    const e2 = await endToEnd(dir, model, 2, 1);
    const e1t2 = await endToEnd(dir, model, 1, 2);
    console.log(`end-to-end: 1 worker ${e1.images_per_s_wall}/s, 2 workers ${e2.images_per_s_wall}/s, 1 worker × 2 intra-op ${e1t2.images_per_s_wall}/s`);
    const strip = ({ bytes, ...rest }) => rest;
    const result = {
      bench: 'logits',
      date: new Date().toISOString(),
      machine: { cpus: os.cpus().length, model: os.cpus()[0]?.model, node: process.version, loadavg_before: loadBefore, loadavg_after: os.loadavg() },
      note: 'shared 2-core machine (other engineers running); median of 3 runs each',
      images: COUNT,
      image_sizes: '500x375 and 375x500 JPEG q90 (generated), resize 256, crop 224, NCHW',
      model_mflops_per_image: Math.round(mflops * 10) / 10,
      batch: BATCH,
      per_stage_images_per_s: stages,
      preprocessing_images_per_s: { workers_1: pre1, workers_2: pre2, scaling: Math.round((pre2 / pre1) * 100) / 100 },
      end_to_end: {
        workers_1: strip(e1),
        workers_2: strip(e2),
        workers_1_intra_op_2: strip(e1t2),
        scaling_2_over_1: Math.round((e2.images_per_s_wall / e1.images_per_s_wall) * 100) / 100,
        identical_bytes_1_vs_2_workers: e1.bytes.equals(e2.bytes),
      },
    };
    const outDir = path.join(__dirname, 'results');
    fs.mkdirSync(outDir, { recursive: true });
    fs.writeFileSync(path.join(outDir, 'logits.json'), `${JSON.stringify(result, null, 2)}\n`);
    console.log(`wrote ${path.join(outDir, 'logits.json')}`);
  } finally {
    fs.rmSync(work, { recursive: true, force: true });
  }
}

module.exports = { writeImages, buildModel };

if (require.main === module) {
  main().catch((err) => {
    console.error(err);
    process.exitCode = 1;
  });
}
