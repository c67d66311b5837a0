import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { readNpy } from '../../src/io/npy';
import { readLabelSets } from '../../src/io/labels';
import { simulate, CHUNK_ROWS } from '../../src/simulate/simulate';
import { simulateFiles } from '../../src/simulate/write';
import { Rng } from '../../src/simulate/rng';
import { dataPath, describeData } from '../helpers/data';
import { tmpDir } from '../helpers/tmp';

function argmax(row: Float32Array): number {
  let best = 0;
  for (let j = 1; j < row.length; j++) if (row[j] > row[best]) best = j;
  return best;
}

function top1(logits: Float32Array, n: number, c: number): Int32Array {
  return Int32Array.from({ length: n }, (_, i) => argmax(logits.subarray(i * c, (i + 1) * c)));
}

function meanTopProb(logits: Float32Array, n: number, c: number): number {
  let total = 0;
  for (let i = 0; i < n; i++) {
    const row = logits.subarray(i * c, (i + 1) * c);
    const m = row[argmax(row)];
    let s = 0;
    for (const x of row) s += Math.exp(x - m);
    total += 1 / s;
  }
  return total / n;
}

describe('Rng', () => {
  it('is deterministic per (seed, keys) and differs across keys', () => {
    const a = new Rng(5, 1, 2);
    const b = new Rng(5, 1, 2);
    const c = new Rng(5, 1, 3);
    const xs = Array.from({ length: 8 }, () => a.nextU32());
    expect(Array.from({ length: 8 }, () => b.nextU32())).toEqual(xs);
    expect(Array.from({ length: 8 }, () => c.nextU32())).not.toEqual(xs);
  });

  it('draws approximately standard normal values', () => {
    const out = new Float64Array(200000);
    new Rng(1).normals(out);
    const mean = out.reduce((s, x) => s + x, 0) / out.length;
    const variance = out.reduce((s, x) => s + (x - mean) ** 2, 0) / out.length;
    expect(Math.abs(mean)).toBeLessThan(0.01);
    expect(Math.abs(variance - 1)).toBeLessThan(0.02);
    expect(out.filter((x) => x < -1.959964).length / out.length).toBeCloseTo(0.025, 2);
  });
});

describe('simulate', () => {
  const dir = tmpDir();

  it('is deterministic given the seed', () => {
    const opts = { images: 300, classes: 20, models: 2, seed: 9 };
    const a = simulate(opts);
    const b = simulate(opts);
    expect(a.logits).toEqual(b.logits);
    expect(a.original).toEqual(b.original);
    expect(simulate({ ...opts, seed: 10 }).logits[0]).not.toEqual(a.logits[0]);
  });

  it('hits the target accuracy against the truth, per model', () => {
    const n = 4000;
    const c = 100;
    const sim = simulate({ images: n, classes: c, models: 3, accuracy: [0.5, 0.9], seed: 3 });
    const acc = sim.logits.map((l) => {
      const t = top1(l, n, c);
      return t.filter((lb, i) => sim.truth[i].includes(lb)).length / n;
    });
    expect(acc[0]).toBeGreaterThan(0.46);
    expect(acc[0]).toBeLessThan(0.54);
    expect(acc[1]).toBeGreaterThan(0.66);
    expect(acc[1]).toBeLessThan(0.74);
    expect(acc[2]).toBeGreaterThan(0.87);
    expect(acc[2]).toBeLessThan(0.93);
  });

  it('controls label noise, multi-label truth, confidence and inter-model correlation', () => {
    const n = 3000;
    const c = 50;
    const base = { images: n, classes: c, models: 2, accuracy: 0.6, seed: 4 };
    const noisy = simulate({ ...base, labelNoise: 0.2, multiLabel: 0.3 });
    const wrong = noisy.truth.filter((set, i) => !set.includes(noisy.original[i])).length / n;
    expect(wrong).toBeGreaterThan(0.17);
    expect(wrong).toBeLessThan(0.23);
    const multi = noisy.truth.filter((s) => s.length > 1).length / n;
    expect(multi).toBeGreaterThan(0.25);
    expect(multi).toBeLessThan(0.35);

    const calm = simulate({ ...base, confidence: 0.5 });
    const sharp = simulate({ ...base, confidence: 4 });
    expect(meanTopProb(sharp.logits[0], n, c)).toBeGreaterThan(meanTopProb(calm.logits[0], n, c) + 0.2);

    const agreement = (rho: number) => {
      const s = simulate({ ...base, correlation: rho });
      const [a, b] = s.logits.map((l) => top1(l, n, c));
      return a.filter((x, i) => x === b[i]).length / n;
    };
    expect(agreement(0.9)).toBeGreaterThan(agreement(0) + 0.1);
  });

  it('writes files equal to the in-memory simulation, whatever the worker count', async () => {
    const opts = { images: 3 * CHUNK_ROWS + 17, classes: 13, models: 3, seed: 21 };
    const mem = simulate(opts);
    for (const workers of [1, 2]) {
      const out = path.join(dir, `w${workers}`);
      const r = await simulateFiles({ ...opts, out, workers });
      r.models.forEach((f, m) => {
        const arr = readNpy(f);
        expect(arr.dtype).toBe('f4');
        expect(arr.shape).toEqual([opts.images, 13]);
        expect(arr.data).toEqual(mem.logits[m]);
      });
      const orig = readNpy(r.original);
      expect(orig.dtype).toBe('i2');
      expect(Int32Array.from(orig.data as Int16Array)).toEqual(mem.original);
      expect(readLabelSets(r.truth)).toEqual(mem.truth);
      expect(fs.readdirSync(out).filter((f) => f.endsWith('.tmp'))).toEqual([]);
    }
  });

  it('rejects bad options with a usage error', () => {
    expect(() => simulate({ models: 0 })).toThrow(/models must be an integer/);
    expect(() => simulate({ models: 1, correlation: 2 })).toThrow(/correlation/);
    expect(() => simulate({ models: 1, classes: 3, truth: [[5]] })).toThrow(/truth label of image 0/);
  });
});

describeData('simulate with real.json truth', () => {
  it('uses the published label sets as truth', () => {
    const real = readLabelSets(dataPath('reassessed-imagenet', 'real.json'), { numClasses: 1000 });
    const sim = simulate({ truth: real, images: 600, classes: 1000, models: 2, accuracy: 0.8, labelNoise: 0, seed: 2 });
    expect(sim.truth).toEqual(real.slice(0, 600));
    sim.truth.forEach((set, i) => {
      if (set.length > 0) expect(set).toContain(sim.original[i]);
    });
    const t = top1(sim.logits[1], 600, 1000);
    const labelled = sim.truth.map((s, i) => [s, i] as const).filter(([s]) => s.length > 0);
    const acc = labelled.filter(([s, i]) => s.includes(t[i])).length / labelled.length;
    expect(acc).toBeGreaterThan(0.74);
    expect(acc).toBeLessThan(0.86);
  });
});

describe('simulate CLI', () => {
  const dir = tmpDir();
  const BIN = path.resolve(__dirname, '..', '..', 'bin', 'realabel.js');
  const run = (args: string[]) => spawnSync(process.execPath, [BIN, 'simulate', ...args], { encoding: 'utf8' });

  it('writes the models, original labels, truth and parameters', () => {
    const out = path.join(dir, 'cli');
    const r = run(['--images', '40', '--classes', '7', '--models', '2', '--seed', '3', '--accuracy', '0.5:0.9', '--out', out, '--json']);
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    const json = JSON.parse(r.stdout);
    expect(json.model_files.map((f: string) => path.basename(f))).toEqual(['model_00.npy', 'model_01.npy']);
    expect(json.per_model.map((m: { target_accuracy: number }) => m.target_accuracy)).toEqual([0.5, 0.9]);
    const mem = simulate({ images: 40, classes: 7, models: 2, seed: 3, accuracy: [0.5, 0.9] });
    expect(readNpy(json.model_files[1]).data).toEqual(mem.logits[1]);
    expect(JSON.parse(fs.readFileSync(path.join(out, 'simulate.json'), 'utf8')).n).toBe(40);
  });

  it('exits 1 with one line on bad options or a bad truth file', () => {
    const truth = path.join(dir, 'truth.json');
    fs.writeFileSync(truth, '[[1], [9]]');
    const cases: Array<[string[], string]> = [
      [['--models', '2', '--accuracy', '1.5', '--out', path.join(dir, 'x')], '--accuracy must be in [0, 1]'],
      [['--models', '2', '--truth', path.join(dir, 'none.json'), '--out', path.join(dir, 'x')], `${path.join(dir, 'none.json')}: no such file`],
      [['--models', '2', '--classes', '5', '--truth', truth, '--out', path.join(dir, 'x')], `${truth}: entry 1 has label 9, out of range [0, 5)`],
    ];
    for (const [args, message] of cases) {
      const r = run(args);
      expect(r.status).toBe(1);
      expect(r.stderr).toContain(message);
      expect(fs.existsSync(path.join(dir, 'x'))).toBe(false);
    }
  });
});
