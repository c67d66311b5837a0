/**
 * The ReaL release from its raw votes (../shared/data/reassessed-imagenet):
 * the exact reproduction of scores.npz and real.json, and plain Dawid–Skene's
 * agreement with the published labels.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { dawidSkene } from '../../src/aggregate/ds';
import { questionPairs, reproduceReal } from '../../src/aggregate/real';
import { readAnswers, type AnswerTable } from '../../src/io/answers';
import { readLabelSets } from '../../src/io/labels';
import { readNpzAsync } from '../../src/io/npz';
import { dataPath, describeData } from '../helpers/data';
import { tmpDir } from '../helpers/tmp';

const REAL = dataPath('reassessed-imagenet');
const ORIGINAL = dataPath('imagenet-val', 'imagenet_val_original_labels.npy');

describeData('ReaL from the raw votes', () => {
  const out = tmpDir('realabel-real-');
  let raters: AnswerTable;
  beforeAll(async () => {
    raters = await readAnswers(path.join(REAL, 'raters.npz'));
  });

  it('raters.npz streams into 924,810 answers from 85 raters on 184,962 questions, 5 per question', () => {
    expect(raters.question.length).toBe(924810);
    expect(raters.numWorkers).toBe(85);
    expect(raters.numQuestions).toBe(184962);
    const per = new Int32Array(raters.numQuestions);
    raters.question.forEach((q) => per[q]++);
    expect(per.every((n) => n === 5)).toBe(true);
  });

  it('reproduce-real: every score within 1e-9 of scores.npz, all 50,000 lists identical to real.json', async () => {
    const r = await reproduceReal({ data: REAL, original: ORIGINAL, out });
    const mine = await readNpzAsync(path.join(out, 'scores.npz'));
    const pub = await readNpzAsync(path.join(REAL, 'scores.npz'));
    expect(mine.tensor.dtype).toBe('f8');
    expect(mine.info.dtype).toBe('U28');
    expect(mine.info.shape).toEqual(pub.info.shape);
    expect(mine.info.data).toEqual(pub.info.data);
    const a = mine.tensor.data as Float64Array;
    const b = pub.tensor.data as Float64Array;
    expect(a.length).toBe(184962);
    let worst = 0;
    for (let i = 0; i < a.length; i++) worst = Math.max(worst, Math.abs(a[i] - b[i]));
    expect(worst).toBeLessThanOrEqual(1e-9);
    const sets = readLabelSets(path.join(out, 'real.json'));
    expect(sets).toEqual(readLabelSets(path.join(REAL, 'real.json')));
    // Byte for byte, label order within an image included.
    expect(fs.readFileSync(path.join(out, 'real.json')).equals(fs.readFileSync(path.join(REAL, 'real.json')))).toBe(true);
    expect(r.goldPositives).toBe(248);
    expect(r.prior).toBeCloseTo(248 / 1135, 15);
    expect(r.agreement.scores).toMatchObject({ pairs: 184962, within1e9: 184962, sameInfo: true });
    expect(r.agreement.labels).toEqual({ images: 50000, identical: 50000, sameSet: 50000 });
    expect(r.labels).toBe(57553);
    expect(r.imagesWithLabels).toBe(46837);
  });

  it('the general CLI with --method gold and the pseudo-rater flags writes the same real.json', async () => {
    const { aggregate } = await import('../../src/aggregate/aggregate');
    const r = await aggregate({
      answers: path.join(REAL, 'raters.npz'),
      method: 'gold',
      goldAnswers: path.join(REAL, 'raters_golden.npz'),
      goldTruth: path.join(REAL, 'golden.npz'),
      goldMinYes: 3,
      pseudoRaters: [{ rule: 'original-label', classes: [0, 398], goldMinYes: 2 }],
      original: ORIGINAL,
      out: path.join(out, 'gold-scores.npz'),
      labelsOut: path.join(out, 'gold-real.json'),
    });
    expect(r.gold).toEqual({ questions: 1135, scored: 1135, positives: 248 });
    expect(fs.readFileSync(path.join(out, 'gold-real.json')).equals(fs.readFileSync(path.join(REAL, 'real.json')))).toBe(true);
  });

  it('unsupervised Dawid–Skene thresholded at 0.8 agrees with real.json on >= 98% of the rated pairs', () => {
    const r = dawidSkene(raters, { mode: 'verification' });
    const pub = readLabelSets(path.join(REAL, 'real.json'));
    const pairs = questionPairs(raters);
    let agree = 0;
    for (let q = 0; q < raters.numQuestions; q++) {
      const inReal = pub[pairs.image[q]].includes(pairs.label[q]);
      if (r.posterior[q * 2 + 1] >= 0.8 === inReal) agree++;
    }
    expect(agree / raters.numQuestions).toBeGreaterThanOrEqual(0.98);
    // Recorded: 181,900 of 184,962 (98.34%) after 8 iterations of the default
    // stopping rule; the posterior rule (stop: 'posterior') gives 181,726 after 500.
    expect(agree).toBeGreaterThan(181000);
    for (let i = 1; i < r.logLikelihood.length; i++) expect(r.logLikelihood[i]).toBeGreaterThanOrEqual(r.logLikelihood[i - 1] - 1e-9);
  });
});
