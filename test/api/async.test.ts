/**
 * The async stage functions: the same results as their ...Sync twins, and an
 * AbortSignal stops them with an AbortError (before any work when it has
 * already fired, between models or chunks when it fires during the run),
 * leaving no output file behind.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { aggregate } from '../../src/aggregate/aggregate';
import { AbortError } from '../../src/errors';
import { evaluate, evaluateSync } from '../../src/evaluate/evaluate';
import { evaluateFiles } from '../../src/evaluate/files';
import { writeLabelSets } from '../../src/io/labels';
import { writeNpy } from '../../src/io/npy';
import { propose, proposeFiles, proposeSync } from '../../src/propose/propose';
import { rateProposals, serviceLoad } from '../helpers/service-load';
import { tmpDir } from '../helpers/tmp';

const dir = tmpDir('realabel-async-');
const f = (name: string) => path.join(dir, name);
const load = serviceLoad(600, 40, 3, 7);
const { n, c, logits, original, truth } = load;
const predictions = logits.map((scores) => ({ scores, numClasses: c }));
const labels = Array.from(truth, (t) => [t]);

beforeAll(() => {
  logits.forEach((data, m) => writeNpy(f(`m${m}.npy`), { dtype: 'f4', shape: [n, c], data }));
  writeNpy(f('orig.npy'), { dtype: 'i4', shape: [n], data: original });
  writeLabelSets(f('real.json'), labels);
});

const isAbort = (err: unknown) => err instanceof AbortError && err.name === 'AbortError' && err.code === 'ABORT_ERR';

test('propose and evaluate give what their Sync variants give', async () => {
  expect(await propose({ logits, n, c, original })).toEqual(proposeSync({ logits, n, c, original }));
  expect(await evaluate({ labels, original, predictions })).toEqual(evaluateSync({ labels, original, predictions }));
});

test('an already-aborted signal stops every stage before any work', async () => {
  const signal = AbortSignal.abort();
  const answers = rateProposals(Int32Array.of(0, 1), Int32Array.of(truth[0], 3), truth);
  const calls: Array<[string, () => Promise<unknown>]> = [
    ['propose', () => propose({ logits, n, c, original, signal })],
    ['evaluate', () => evaluate({ labels, predictions, signal })],
    ['aggregate', () => aggregate({ method: 'ds', answers, original, signal })],
    ['proposeFiles', () => proposeFiles({ logits: [f('m0.npy')], original: f('orig.npy'), out: f('p0.npz'), signal })],
    ['evaluateFiles', () => evaluateFiles({ labels: f('real.json'), predictions: [f('m0.npy')], perClassOut: f('pc0.csv'), signal })],
  ];
  for (const [name, call] of calls) {
    const err = await call().then(() => null, (e: unknown) => e);
    expect({ name, aborted: isAbort(err) }).toEqual({ name, aborted: true });
  }
  expect(fs.existsSync(f('p0.npz')) || fs.existsSync(f('pc0.csv'))).toBe(false);
});

test('a signal fired after the first model stops the run there, and nothing is written', async () => {
  const files = logits.map((_, m) => f(`m${m}.npy`));
  for (const [name, run] of [
    ['propose', (signal: AbortSignal, onProgress: () => void) => propose({ logits, n, c, original, signal, onProgress })],
    ['evaluate', (signal: AbortSignal, onProgress: () => void) => evaluate({ labels, predictions, signal, onProgress })],
    ['proposeFiles', (signal: AbortSignal, onProgress: () => void) =>
      proposeFiles({ logits: files, original: f('orig.npy'), out: f('p1.npz'), workers: 1, signal, onProgress })],
    ['evaluateFiles', (signal: AbortSignal, onProgress: () => void) =>
      evaluateFiles({ labels: f('real.json'), predictions: files, perClassOut: f('pc1.csv'), signal, onProgress })],
  ] as const) {
    const controller = new AbortController();
    let models = 0;
    const err = await run(controller.signal, () => {
      models++;
      controller.abort();
    }).then(() => null, (e: unknown) => e);
    expect({ name, aborted: isAbort(err), models }).toEqual({ name, aborted: true, models: 1 });
  }
  expect(fs.existsSync(f('p1.npz')) || fs.existsSync(f('pc1.csv'))).toBe(false);
});

test('aborting while aggregate runs rejects with an AbortError', async () => {
  const p = proposeSync({ logits, n, c, original });
  const answers = rateProposals(p.image, p.label, truth);
  const controller = new AbortController();
  const run = aggregate({ method: 'ds', answers, original, signal: controller.signal });
  controller.abort();
  await expect(run).rejects.toBeInstanceOf(AbortError);
  // The same call without the abort succeeds.
  expect((await aggregate({ method: 'ds', answers, original })).sets).toHaveLength(n);
});

test('a signal that is not an AbortSignal is refused', async () => {
  await expect(evaluate({ labels, predictions, signal: {} as AbortSignal })).rejects.toThrow(/`signal` must be an AbortSignal/);
});
