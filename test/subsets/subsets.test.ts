import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { hasNative } from '../../src/native/addon';
import { writeProposals } from '../../src/propose/io';
import type { Proposals } from '../../src/propose/propose';
import { readGold } from '../../src/subsets/gold';
import { buildProblem } from '../../src/subsets/problem';
import { exhaustiveTs } from '../../src/subsets/search-ts';
import { exhaustiveBucketsSync, paretoCsv, selectModels, type SelectResult } from '../../src/subsets/subsets';
import { readLabelSets } from '../../src/io/labels';
import { dataPath, describeData } from '../helpers/data';
import { tmpDir } from '../helpers/tmp';
import { bruteBuckets, bruteForce, scenario, type BruteScore } from './scenario';

const BIN = path.resolve(__dirname, '..', '..', 'bin', 'realabel.js');
const itNative = hasNative() ? it : it.skip;

function popcount(x: number): number {
  let c = 0;
  for (; x; x &= x - 1) c++;
  return c;
}

/** The best subset straight from the definition. */
function bruteBest(scores: BruteScore[], positives: number, target: number): BruteScore | undefined {
  const prec = (s: BruteScore) => (s.den === 0 ? 0 : s.tp / s.den);
  let best: BruteScore | undefined;
  for (const s of scores) {
    if (s.tp / positives < target - 1e-12) continue;
    if (
      !best ||
      prec(s) > prec(best) ||
      (prec(s) === prec(best) &&
        (s.count < best.count || (s.count === best.count && (popcount(s.mask) < popcount(best.mask) || (popcount(s.mask) === popcount(best.mask) && s.mask < best.mask)))))
    ) {
      best = s;
    }
  }
  return best;
}

function maskOf(indices: number[]): number {
  return indices.reduce((m, i) => m | (1 << i), 0);
}

describe('select-models: exhaustive search = brute force', () => {
  it.each([
    [1, 6, 'negative', 2],
    [2, 7, 'ignore', 2],
    [3, 5, 'negative', 1],
    [4, 6, 'negative', 3],
  ] as const)('seed %i, %i models, unknown=%s, minVotes=%i', (seed, models, unknown, minVotes) => {
    const s = scenario({ images: 120, classes: 15, models, seed, accuracy: [0.35, 0.8], goldImages: 30, minVotes });
    const pr = buildProblem(s.proposals, s.gold, { unknown });
    const scores = bruteForce(s, minVotes, unknown);
    const expected = bruteBuckets(scores, pr.maxTp);
    expect(exhaustiveTs(pr)).toEqual(expected);
    if (hasNative()) expect(exhaustiveBucketsSync(pr, { backend: 'native', threads: 2 })).toEqual(expected);

    for (const target of [0.5, 0.9, 1]) {
      const r = selectModels(s.proposals, s.gold, { recall: target, unknown, backend: 'ts' });
      const best = bruteBest(scores, pr.positives, target);
      if (!best) {
        expect(r.best).toBeNull();
        continue;
      }
      expect(maskOf(r.best!.model_indices)).toBe(best.mask);
      expect(r.best!.true_positives).toBe(best.tp);
      expect(r.best!.recall).toBeGreaterThanOrEqual(target);
      // Nothing on the Pareto front is dominated by any subset.
      for (const p of r.pareto) {
        const dominated = scores.some((x) => {
          const px = x.den === 0 ? 0 : x.tp / x.den;
          return x.tp / pr.positives >= p.recall && px >= p.precision && (x.tp / pr.positives > p.recall || px > p.precision);
        });
        expect(dominated).toBe(false);
      }
    }
  });

  itNative('native is independent of the thread count', () => {
    const s = scenario({ images: 200, classes: 20, models: 9, seed: 8, goldImages: 40 });
    const pr = buildProblem(s.proposals, s.gold);
    const one = exhaustiveBucketsSync(pr, { backend: 'native', threads: 1 });
    expect(exhaustiveBucketsSync(pr, { backend: 'native', threads: 2 })).toEqual(one);
    expect(exhaustiveBucketsSync(pr, { backend: 'native', threads: 7 })).toEqual(one);
    expect(exhaustiveTs(pr)).toEqual(one);
  });
});

describe('select-models: greedy', () => {
  it('finds a feasible subset no better than the exhaustive optimum', () => {
    const s = scenario({ images: 150, classes: 15, models: 9, seed: 12, accuracy: [0.3, 0.85], goldImages: 40 });
    const ex = selectModels(s.proposals, s.gold, { recall: 0.9 });
    const gr = selectModels(s.proposals, s.gold, { recall: 0.9, search: 'greedy' });
    expect(gr.search).toBe('greedy');
    expect(ex.best).not.toBeNull();
    expect(gr.best).not.toBeNull();
    expect(gr.best!.recall).toBeGreaterThanOrEqual(0.9);
    expect(gr.best!.precision).toBeLessThanOrEqual(ex.best!.precision);
    expect(gr.subsets_evaluated).toBeLessThan(2 ** 9);
  });

  it('is used above 24 models', () => {
    const s = scenario({ images: 60, classes: 8, models: 26, seed: 3, accuracy: [0.3, 0.9], goldImages: 20 });
    const r = selectModels(s.proposals, s.gold, { recall: 0.8 });
    expect(r.search).toBe('greedy');
    expect(r.best).not.toBeNull();
    expect(r.best!.recall).toBeGreaterThanOrEqual(0.8);
    expect(() => selectModels(s.proposals, s.gold, { search: 'exhaustive' })).toThrow('exhaustive search handles up to 24 models');
  });
});

/** Proposals on a few images, re-indexed into a set of `total` images. */
function embed(p: Proposals, ids: number[], total: number): Proposals {
  const M = p.modelNames.length;
  const top1 = new Int32Array(M * total);
  const original = new Int32Array(total);
  ids.forEach((id, i) => {
    original[id] = p.original[i];
    for (let m = 0; m < M; m++) top1[m * total + id] = p.top1[m * p.n + i];
  });
  return { ...p, n: total, image: Int32Array.from(p.image, (i) => ids[i]), top1, original };
}

describeData('select-models on the published gold layout (golden.npz) with simulated models', () => {
  const dir = tmpDir();
  const goldFile = dataPath('reassessed-imagenet', 'golden.npz');

  it('reads the published gold set: 155 images, 1,135 questions, 248 positives', () => {
    const g = readGold(goldFile);
    expect(g.experts).toBe(5);
    expect(g.image.length).toBe(1135);
    expect(new Set(g.image).size).toBe(155);
    expect(g.positive.reduce((a, b) => a + b, 0)).toBe(248);
    expect(readGold(goldFile, { minYes: 2 }).positive.reduce((a, b) => a + b, 0)).toBeGreaterThan(248);
  });

  it('searches all subsets of 8 models on the gold images, native = twin, CLI writes the Pareto CSV', () => {
    const g = readGold(goldFile);
    const ids = [...new Set(g.image)].sort((a, b) => a - b);
    const real = readLabelSets(dataPath('reassessed-imagenet', 'real.json'), { numClasses: 1000 });
    const s = scenario({ truth: ids.map((i) => real[i]), classes: 1000, models: 8, seed: 5, goldImages: 1 });
    const proposals = embed(s.proposals, ids, 50000);
    const pr = buildProblem(proposals, g);
    expect(pr.goldImages).toBe(155);
    expect(pr.positives).toBe(248);
    const ts = exhaustiveTs(pr);
    if (hasNative()) expect(exhaustiveBucketsSync(pr, { backend: 'native' })).toEqual(ts);

    const file = path.join(dir, 'proposals.npz');
    writeProposals(file, proposals);
    const csv = path.join(dir, 'pareto.csv');
    const r = spawnSync(process.execPath, [BIN, 'select-models', '--proposals', file, '--gold', goldFile, '--recall', '0.5', '--pareto', csv, '--json'], {
      encoding: 'utf8',
    });
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    const json = JSON.parse(r.stdout) as SelectResult & { timings_ms: unknown };
    expect(json.search).toBe('exhaustive');
    expect(json.subsets_evaluated).toBe(255);
    expect(json.gold).toMatchObject({ images: 155, questions: 1135, positives: 248 });
    expect(json).toEqual({ ...selectModels(proposals, g, { recall: 0.5 }), timings_ms: json.timings_ms });
    const lines = fs.readFileSync(csv, 'utf8').trim().split('\n');
    expect(lines[0]).toBe('recall,precision,proposals_per_image,true_positives,proposed,num_models,models');
    expect(lines.length).toBe(json.pareto.length + 1);
    expect(fs.readFileSync(csv, 'utf8')).toBe(paretoCsv(json));
    if (json.best) expect(json.best.recall).toBeGreaterThanOrEqual(0.5);
  });

  it('CLI: a gold set outside the proposals, or a missing file, exits 1 naming the file', () => {
    const s = scenario({ images: 50, classes: 10, models: 2, seed: 1, goldImages: 5 });
    const file = path.join(dir, 'small.npz');
    writeProposals(file, s.proposals);
    const csv = path.join(dir, 'none.csv');
    const cases: Array<[string, string]> = [
      [goldFile, `${goldFile}: question 0 (image 30152, label 101) is outside the proposals' 50 images x 10 classes`],
      [path.join(dir, 'nope.npz'), `${path.join(dir, 'nope.npz')}: no such file`],
    ];
    for (const [gold, message] of cases) {
      const r = spawnSync(process.execPath, [BIN, 'select-models', '--proposals', file, '--gold', gold, '--pareto', csv], { encoding: 'utf8' });
      expect(r.status).toBe(1);
      expect(r.stderr).toContain(message);
      expect(fs.existsSync(csv)).toBe(false);
    }
  });
});
