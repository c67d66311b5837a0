/**
 * The simulated raters: their confusions match the constants, and the
 * constants match the real ReaL raters (when ../shared/data is present).
 */
import { expertTruth } from '../../src/aggregate/real';
import { demoClasses } from '../../src/demo/classes';
import {
  ABSENT_MEAN, ABSENT_SD, answer, concentration, drawRaters, EXPERT_YES_ABSENT, EXPERT_YES_PRESENT, GOLD_RATER_SHARE, pickRaters, PRESENT_MEAN,
  PRESENT_SD, raterCount, REAL_ANSWERS, REAL_RATERS, WORKLOAD_LOG_SD,
} from '../../src/demo/raters';
import { readRatersNpz } from '../../src/io/answers';
import { Rng } from '../../src/simulate/rng';
import { classHierarchy } from '../../src/tasks/hierarchy';
import { dataPath, describeData } from '../helpers/data';

const mean = (xs: number[]) => xs.reduce((s, x) => s + x, 0) / xs.length;
const sd = (xs: number[]) => Math.sqrt(xs.reduce((s, x) => s + (x - mean(xs)) ** 2, 0) / (xs.length - 1));

describe('simulated raters', () => {
  const raters = drawRaters(4000, new Rng(1));

  it('draw confusion rows whose mean and summed variance match the measured ones', () => {
    for (const [rows, m, s] of [[raters.map((r) => r.present), PRESENT_MEAN, PRESENT_SD], [raters.map((r) => r.absent), ABSENT_MEAN, ABSENT_SD]] as const) {
      const means = [0, 1, 2].map((a) => mean(rows.map((p) => p[a])));
      const sds = [0, 1, 2].map((a) => sd(rows.map((p) => p[a])));
      means.forEach((x, a) => expect(Math.abs(x - m[a])).toBeLessThan(0.01));
      const wanted = s.reduce((t, x) => t + x * x, 0);
      expect(Math.abs(sds.reduce((t, x) => t + x * x, 0) / wanted - 1)).toBeLessThan(0.1);
      for (const p of rows) expect(p.reduce((t, x) => t + x, 0)).toBeCloseTo(1, 12);
    }
  });

  it('answer with their own confusion rows', () => {
    const rng = new Rng(2);
    const r = raters[0];
    const counts = [0, 0, 0];
    for (let i = 0; i < 60000; i++) counts[answer(r, true, rng)]++;
    counts.forEach((c, a) => expect(Math.abs(c / 60000 - r.present[a])).toBeLessThan(0.01));
  });

  it('log-normal workloads with the measured spread; 5 distinct raters per task', () => {
    expect(Math.abs(sd(raters.map((r) => Math.log(r.workload))) - WORKLOAD_LOG_SD)).toBeLessThan(0.1);
    const rng = new Rng(3);
    const few = raters.slice(0, 12);
    const seen = new Array(12).fill(0);
    for (let t = 0; t < 2000; t++) {
      const who = pickRaters(few, 5, rng);
      expect(new Set(who).size).toBe(5);
      expect(who).toEqual([...who].sort((a, b) => a - b));
      for (const w of who) seen[w]++;
    }
    // The heaviest rater is picked at least as often as the lightest.
    const byLoad = few.map((r, i) => [r.workload, i]).sort((a, b) => a[0] - b[0]);
    expect(seen[byLoad[11][1]]).toBeGreaterThanOrEqual(seen[byLoad[0][1]]);
  });

  it('scale with the answers like ReaL (85 raters, 924,810 answers), 20 at least', () => {
    expect(raterCount(REAL_ANSWERS)).toBe(REAL_RATERS);
    expect(raterCount(10 * REAL_ANSWERS)).toBe(REAL_RATERS);
    expect(raterCount(1000)).toBe(20);
    expect(concentration(PRESENT_MEAN, PRESENT_SD)).toBeGreaterThan(1);
  });
});

describe('demo classes', () => {
  it('are real WordNet 3.0 nouns that tasks can place in the hierarchy, about 40% animals first', () => {
    const c = demoClasses(100);
    expect(c.synsets).toHaveLength(100);
    expect(new Set(c.synsets.map((s) => s.wnid)).size).toBe(100);
    expect(c.animals).toBe(40);
    const h = classHierarchy(c.synsets.map((s) => s.wnid));
    const ANIMAL = 15388;
    h.ancestors.forEach((a, i) => expect(a.includes(ANIMAL)).toBe(i < c.animals));
    // Neighbours are related: most adjacent classes share their parent category.
    let siblings = 0;
    for (let i = 1; i < 100; i++) if (h.paths[i].at(-2) === h.paths[i - 1].at(-2)) siblings++;
    expect(siblings).toBeGreaterThan(60);
  });
});

describeData('rater constants against the ReaL release', () => {
  const dir = (f: string) => dataPath('reassessed-imagenet', f);

  it('gold-set confusions: raters_golden.npz against t3 (>= 3 of 5 experts said yes)', async () => {
    const [crowd, experts] = await Promise.all([readRatersNpz(dir('raters_golden.npz')), readRatersNpz(dir('golden.npz'))]);
    expect(crowd.tasks).toEqual(experts.tasks);
    const t3 = expertTruth(experts, 3);
    const perRater = [1, 0].map(() => Array.from({ length: crowd.numWorkers }, () => [0, 0, 0]));
    crowd.question.forEach((q, i) => perRater[t3[q] === 1 ? 0 : 1][crowd.worker[i]][crowd.answer[i]]++);
    for (const [k, m, s] of [[0, PRESENT_MEAN, PRESENT_SD], [1, ABSENT_MEAN, ABSENT_SD]] as const) {
      const pooled = [0, 1, 2].map((a) => perRater[k].reduce((t, r) => t + r[a], 0));
      const total = pooled.reduce((t, x) => t + x, 0);
      pooled.forEach((x, a) => expect(x / total).toBeCloseTo(m[a], 4));
      const rows = perRater[k].map((r) => r.map((x) => x / (r[0] + r[1] + r[2])));
      [0, 1, 2].forEach((a) => expect(sd(rows.map((r) => r[a]))).toBeCloseTo(s[a], 3));
    }
    expect(crowd.numWorkers / REAL_RATERS).toBeCloseTo(GOLD_RATER_SHARE, 12);
    // Experts, pooled, against the same t3.
    let yesP = 0, nP = 0, yesA = 0, nA = 0; // prettier-ignore
    experts.question.forEach((q, i) => {
      const yes = experts.answer[i] === 2 ? 1 : 0;
      if (t3[q] === 1) (yesP += yes), nP++;
      else (yesA += yes), nA++;
    });
    expect(yesP / nP).toBeCloseTo(EXPERT_YES_PRESENT, 3);
    expect(yesA / nA).toBeCloseTo(EXPERT_YES_ABSENT, 3);
  });

  it('workloads: answers per rater in raters.npz', async () => {
    const main = await readRatersNpz(dir('raters.npz'));
    expect(main.numWorkers).toBe(REAL_RATERS);
    expect(main.question.length).toBe(REAL_ANSWERS);
    const counts = new Array(main.numWorkers).fill(0);
    for (const w of main.worker) counts[w]++;
    expect(sd(counts.map(Math.log))).toBeCloseTo(WORKLOAD_LOG_SD, 2);
    const sorted = [...counts].sort((a, b) => a - b);
    expect(sorted[42]).toBe(3637); // the median of 85, as quoted in src/demo/raters.ts
  });
});
