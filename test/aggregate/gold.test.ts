/** Gold calibration, pseudo-raters, the scoring pass, operating points and the published label order. */
import { goldConfusionSync, goldScoreSync, truthPrior, type PseudoRater } from '../../src/aggregate/gold';
import { prCurve, prCurveCsv, thresholdForPrecision } from '../../src/aggregate/pr';
import { modeSpec, type CompactAnswers } from '../../src/aggregate/problem';
import { pythonSetOrder } from '../../src/aggregate/python-set';
import { expertTruth, labelSets } from '../../src/aggregate/real';
import type { AnswerTable } from '../../src/io/answers';

const ABC = ['no', 'maybe', 'yes'];
const BACKENDS = ['auto', 'ts'] as const;

describe('gold calibration', () => {
  // Gold questions 0..3 with truth present, present, absent, absent.
  // Worker 0 answers all four: yes, maybe, no, yes. Worker 1: yes on q0 only. Worker 2: none.
  const gold: CompactAnswers = {
    question: Int32Array.from([0, 1, 2, 3, 0]),
    worker: Int32Array.from([0, 0, 0, 0, 1]),
    answer: Int32Array.from([2, 1, 0, 2, 2]),
    numQuestions: 4,
    numWorkers: 3,
    alphabet: ABC,
  };
  const truth = Int32Array.from([1, 1, 0, 0]);

  for (const backend of BACKENDS) {
    it(`${backend}: add-one smoothed counts, and the mean row for workers without gold answers`, () => {
      const { confusion, counts } = goldConfusionSync(gold, truth, 2, { smoothing: 1, backend: backend });
      // Worker 0: absent (no 1, maybe 0, yes 1) -> (2, 1, 2)/5; present (0, 1, 1) -> (1, 2, 2)/5.
      const w0 = [2 / 5, 1 / 5, 2 / 5, 1 / 5, 2 / 5, 2 / 5];
      // Worker 1: absent has no answers -> (1, 1, 1)/3; present (0, 0, 1) -> (1, 1, 2)/4.
      const w1 = [1 / 3, 1 / 3, 1 / 3, 1 / 4, 1 / 4, 2 / 4];
      const w2 = w0.map((v, i) => (v + w1[i]) / 2);
      Array.from(confusion).forEach((v, i) => expect(v).toBeCloseTo([...w0, ...w1, ...w2][i], 15));
      expect(Array.from(counts)).toEqual([4, 1, 0]);
    });

    it(`${backend}: one scoring pass is the log-odds sum of the README, pseudo-rater included`, () => {
      // Main questions: q0 = (w0 yes, w1 no), q1 = (w2 maybe). Pseudo-rater answers yes on q0, nothing on q1;
      // on the gold set it answers yes, no, no, no and is calibrated against its own truth (1, 0, 0, 0).
      const main: CompactAnswers = { question: Int32Array.from([0, 0, 1]), worker: Int32Array.from([0, 1, 2]), answer: Int32Array.from([2, 0, 1]), numQuestions: 2, numWorkers: 3, alphabet: ABC };
      const pseudo: PseudoRater = { name: 'rule', gold: Int32Array.from([2, 0, 0, 0]), main: Int32Array.from([2, -1]), truth: Int32Array.from([1, 0, 0, 0]) };
      const r = goldScoreSync({ answers: main, gold, truth, spec: modeSpec('verification', ABC), pseudoRaters: [pseudo], backend });
      const c = (w: number, k: number, a: number) => r.confusion[(w * 2 + k) * 3 + a];
      expect(Array.from(r.prior)).toEqual([0.5, 0.5]); // 2 of 4 gold questions present
      // The pseudo-rater's rows: present (0, 0, 1) + 1 -> (1, 1, 2)/4; absent (3, 0, 0) + 1 -> (4, 1, 1)/6.
      expect(c(3, 1, 2)).toBeCloseTo(2 / 4, 15);
      expect(c(3, 0, 2)).toBeCloseTo(1 / 6, 15);
      const lo0 = Math.log(c(0, 1, 2) / c(0, 0, 2)) + Math.log(c(1, 1, 0) / c(1, 0, 0)) + Math.log(c(3, 1, 2) / c(3, 0, 2));
      const lo1 = Math.log(c(2, 1, 1) / c(2, 0, 1));
      expect(r.posterior[1]).toBeCloseTo(1 / (1 + Math.exp(-lo0)), 14);
      expect(r.posterior[3]).toBeCloseTo(1 / (1 + Math.exp(-lo1)), 14);
      expect(r.posterior[0] + r.posterior[1]).toBeCloseTo(1, 15);
    });
  }

  it('gold answers must use the main answers\' workers, and the truth needs a known question', () => {
    const main: CompactAnswers = { ...gold, numWorkers: 2 };
    expect(() => goldScoreSync({ answers: main, gold, truth, spec: modeSpec('verification', ABC) })).toThrow(/gold answers use 3 workers but the main answers 2/);
    expect(() => truthPrior(Int32Array.from([-1, -1]), 2)).toThrow(/no known question/);
    expect(() => goldConfusionSync(gold, Int32Array.from([1, 1]), 2)).toThrow(/gold truth has 2 questions but the gold answers have 4/);
  });

  it('expert truth: yes-count rule, default a strict majority', () => {
    const experts = {
      question: Int32Array.from([0, 0, 0, 1, 1, 1, 2, 2]),
      worker: Int32Array.from([0, 1, 2, 0, 1, 2, 0, 1]),
      answer: Int32Array.from([2, 2, 0, 2, 0, 0, 2, 0]),
      numQuestions: 4,
      numWorkers: 3,
      alphabet: ABC,
    } as AnswerTable;
    expect(Array.from(expertTruth(experts))).toEqual([1, 0, 0, -1]); // 1 of 2 is not a majority
    expect(Array.from(expertTruth(experts, 1))).toEqual([1, 1, 1, -1]);
  });
});

describe('operating point', () => {
  const scores = [0.9, 0.8, 0.8, 0.3, 0.1];
  const truth = [1, 1, 0, 1, 0];
  it('precision and recall at every distinct score, ascending threshold', () => {
    const pts = prCurve(scores, truth);
    expect(pts.map((p) => p.threshold)).toEqual([0.1, 0.3, 0.8, 0.9]);
    expect(pts.map((p) => [p.tp, p.fp, p.fn])).toEqual([[3, 2, 0], [3, 1, 0], [2, 1, 1], [1, 0, 2]]);
    expect(pts[2].precision).toBeCloseTo(2 / 3, 15);
    expect(pts[2].recall).toBeCloseTo(2 / 3, 15);
    expect(prCurveCsv(pts).split('\n')[0]).toBe('threshold,precision,recall,true_positives,false_positives,false_negatives');
  });
  it('the lowest threshold reaching a target precision', () => {
    const pts = prCurve(scores, truth);
    expect(thresholdForPrecision(pts, 0.75)!.threshold).toBe(0.3);
    expect(thresholdForPrecision(pts, 0.6)!.threshold).toBe(0.1);
    expect(thresholdForPrecision(pts, 1)!.threshold).toBe(0.9);
    expect(thresholdForPrecision(prCurve([0.5], [0]), 0.5)).toBeNull();
  });
});

describe('published label order', () => {
  it('matches CPython set iteration (outputs of list(set(x)) recorded from python3)', () => {
    const cases: Array<[number[], number[]]> = [
      [[795, 970], [970, 795]],
      [[108, 327], [108, 327]],
      [[1, 9, 17, 25, 33], [1, 33, 9, 17, 25]],
      [[0, 8, 16, 24, 32, 40, 48, 56, 64, 72, 80, 88], [0, 32, 64, 8, 40, 72, 16, 48, 80, 24, 56, 88]],
      [[243, 606, 557, 133, 378, 937], [133, 937, 557, 243, 378, 606]],
      [[618, 485, 640, 594, 67, 620, 13, 930, 857, 480], [640, 480, 930, 67, 485, 618, 620, 13, 594, 857]],
      [[265, 564, 239, 196, 734, 481, 553, 856, 562, 487, 406, 654, 881, 154, 237], [481, 196, 487, 265, 553, 237, 654, 239, 881, 562, 564, 406, 856, 154, 734]],
      [[650, 155, 888, 948, 535, 399, 759, 15, 687, 795, 65, 163, 776, 980, 605, 43, 308, 798], [795, 65, 163, 776, 650, 759, 43, 399, 15, 687, 948, 980, 308, 535, 888, 155, 605, 798]],
    ];
    for (const [input, expected] of cases) expect(pythonSetOrder(input)).toEqual(expected);
  });

  it('label sets: rated labels >= threshold in set order; unrated images keep the original label', () => {
    const pairs = { image: Int32Array.from([0, 0, 2, 2]), label: Int32Array.from([970, 795, 5, 6]) };
    const sets = labelSets(pairs, Float64Array.from([0.9, 0.95, 0.2, 0.79999]), 0.8, Int32Array.from([795, 3, 5]));
    expect(sets).toEqual([[970, 795], [3], []]);
  });
});
