/**
 * The in-memory forms of aggregate, reproduceReal and selectModels give
 * exactly what their file forms give, on a small demo's files.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { aggregate } from '../../src/aggregate/aggregate';
import type { AnswersInput } from '../../src/aggregate/memory';
import { questionPairs, reproduceReal } from '../../src/aggregate/real';
import { demo, type DemoResult } from '../../src/demo/demo';
import { readRatersNpz, type AnswerTable } from '../../src/io/answers';
import { toInt32 } from '../../src/io/convert';
import { readLabelSets } from '../../src/io/labels';
import { readNpy } from '../../src/io/npy';
import { readProposals } from '../../src/propose/io';
import { readGold } from '../../src/subsets/gold';
import { selectModels } from '../../src/subsets/subsets';
import { tmpDir } from '../helpers/tmp';

const dir = tmpDir('realabel-memory-');
let d: DemoResult;
let main: AnswerTable;
let crowdGold: AnswerTable;
let experts: AnswerTable;
let original: Int32Array;

beforeAll(async () => {
  d = await demo({ out: path.join(dir, 'demo'), images: 800, classes: 20, models: 3, seed: 11 });
  [main, crowdGold, experts] = await Promise.all([d.files.raters, d.files.raters_golden, d.files.golden].map((f) => readRatersNpz(f)));
  original = toInt32(readNpy(d.files.original));
});

/** A table as a service would hold it: typed arrays, (image, label) per question, no names. */
function plain(t: AnswerTable, workers: string[] = t.workers): AnswersInput {
  const { image, label } = questionPairs(t);
  const index = new Map(workers.map((w, i) => [w, i]));
  return { question: t.question, worker: Int32Array.from(t.worker, (w) => index.get(t.workers[w])!), answer: t.answer, image, label, numWorkers: workers.length };
}

test('aggregate ds: in memory = from files', async () => {
  const files = await aggregate({ method: 'ds', answers: d.files.raters, original: d.files.original });
  const mem = await aggregate({ method: 'ds', answers: plain(main), original });
  expect(mem.posterior).toEqual(files.posterior);
  expect(mem.sets).toEqual(readLabelSets(d.files.real_ds));
  expect(mem.outputs).toEqual([]);
});

test('aggregate gold with a pseudo-rater: in memory (experts, or truth per question) = from files', async () => {
  const common = { method: 'gold' as const, goldMinYes: 3, pseudoRaters: [{ rule: 'original-label' as const, classes: [0, 8] as [number, number], goldMinYes: 2 }] };
  const files = await aggregate({ ...common, answers: d.files.raters, goldAnswers: d.files.raters_golden, goldTruth: d.files.golden, original: d.files.original });
  // Gold raters are a subset of the main ones: indices into the main workers.
  const mem = await aggregate({ ...common, answers: plain(main), goldAnswers: plain(crowdGold, main.workers), goldTruth: plain(experts), original });
  expect(mem.posterior).toEqual(files.posterior);
  expect(mem.prPoints).toEqual(files.prPoints);
  expect(mem.sets).toEqual(readLabelSets(d.files.real_gold));
  // Truth given per gold question instead of expert answers (no pseudo-rater: it needs the experts).
  const yes = new Int32Array(experts.numQuestions);
  experts.question.forEach((q, i) => (yes[q] += experts.answer[i] === 2 ? 1 : 0));
  const t3 = Array.from(yes, (y) => (y >= 3 ? 1 : 0));
  const a = await aggregate({ method: 'gold', answers: plain(main), goldAnswers: plain(crowdGold, main.workers), goldTruth: t3 });
  const b = await aggregate({ method: 'gold', answers: d.files.raters, goldAnswers: d.files.raters_golden, goldTruth: d.files.golden, goldMinYes: 3 });
  expect(a.posterior).toEqual(b.posterior);
});

test('aggregate in memory: bad arrays are errors naming them', async () => {
  const good = plain(main);
  await expect(aggregate({ method: 'ds', answers: { ...good, worker: good.worker.subarray(1) } })).rejects.toThrow(/^answers: question \(\d+\), worker/);
  await expect(aggregate({ method: 'ds', answers: { ...good, answer: Int32Array.from(good.answer, (a) => a + 1) } })).rejects.toThrow(/answers: answer\[\d+\] = 3 is out of range/);
  await expect(aggregate({ method: 'gold', answers: good, goldAnswers: plain(crowdGold, main.workers), goldTruth: [1, 0] })).rejects.toThrow(/gold truth: has 2 values for \d+ gold questions/);
  await expect(aggregate({ method: 'ds', answers: good, original: [0.5] })).rejects.toThrow(/original: label 0.5 at image 0/);
});

test('reproduceReal: the release read into memory = its folder; nothing written without out', async () => {
  fs.mkdirSync(path.join(dir, 'real'));
  const files = await reproduceReal({ data: d.out, original: d.files.original, out: path.join(dir, 'real') });
  const mem = await reproduceReal({ data: { raters: main, golden: experts, ratersGolden: crowdGold }, original });
  expect(mem.scores).toEqual(files.scores);
  expect(mem.sets).toEqual(readLabelSets(path.join(dir, 'real', 'real.json')));
  expect(mem.outputs).toBeNull();
});

test('selectModels: gold questions in memory = golden.npz', () => {
  const proposals = readProposals(d.files.proposals);
  const gold = readGold(d.files.golden, { minYes: 3 });
  const mem = selectModels(proposals, { image: gold.image, label: gold.label, positive: gold.positive });
  expect(mem).toEqual(selectModels(proposals, gold));
  expect(() => selectModels(proposals, { image: gold.image, label: gold.label, positive: gold.positive.subarray(1) })).toThrow(/differ in length/);
});
