/**
 * propose and evaluate --cluster on 3 worker processes give the single
 * machine's bytes: proposals.npz from simulated models; evaluate's --json
 * and per-class table for top-1 predictions on the real release and for
 * score matrices on simulated data.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { writeNpy } from '../../src/io/npy';
import { dataPath, HAVE_DATA } from '../helpers/data';
import { tmpDir } from '../helpers/tmp';
import { describeRedis, realabel, startRedis, startWorkers, stop, type Proc, type Redis } from './redis';

const dir = tmpDir('realabel-cluster-eval-');
const f = (name: string) => path.join(dir, name);

async function both(args: string[], url: string): Promise<void> {
  const one = await realabel([...args, '--json', '--per-class', f('pc1.csv')]);
  const many = await realabel([...args, '--json', '--per-class', f('pc3.csv'), '--cluster', url]);
  expect({ status: many.status, stderr: many.stderr }).toEqual({ status: 0, stderr: '' });
  expect(one.status).toBe(0);
  expect(many.stdout).toBe(one.stdout);
  expect(fs.readFileSync(f('pc3.csv')).equals(fs.readFileSync(f('pc1.csv')))).toBe(true);
}

describeRedis('propose and evaluate --cluster', () => {
  let redis: Redis;
  let workers: Proc[];
  beforeAll(async () => {
    redis = await startRedis();
    workers = await startWorkers(redis.url, 3);
  });
  afterAll(async () => {
    await stop(workers ?? []);
    await stop(redis ? [redis] : []);
  });

  test('propose on simulated models: proposals.npz byte-identical', async () => {
    const sim = await realabel(['simulate', '--images', '3000', '--classes', '60', '--models', '4', '--seed', '5', '--out', f('sim')]);
    expect(sim.status).toBe(0);
    const models = [0, 1, 2, 3].map((m) => f(`sim/model_0${m}.npy`));
    const common = ['propose', '--logits', ...models, '--original', f('sim/original.npy'), '--k', '5000'];
    const one = await realabel([...common, '--out', f('p1.npz')]);
    const many = await realabel([...common, '--out', f('p3.npz'), '--cluster', redis.url]);
    expect({ status: many.status, stderr: many.stderr }).toEqual({ status: 0, stderr: '' });
    expect(one.status).toBe(0);
    expect(fs.readFileSync(f('p3.npz')).equals(fs.readFileSync(f('p1.npz')))).toBe(true);
  }, 120_000);

  (HAVE_DATA ? test : test.skip)('top-1 predictions against real.json: the same output', async () => {
    await both([
      'evaluate', '--labels', dataPath('reassessed-imagenet', 'real.json'),
      '--predictions', dataPath('imagenet-val', 'imagenet_val_cleanlab_top1.npy'), dataPath('imagenet-val', 'imagenet_val_original_labels.npy'),
      '--original', dataPath('imagenet-val', 'imagenet_val_original_labels.npy'),
    ], redis.url);
  }, 120_000);

  test('score matrices (ties, multi-label sets): the same output', async () => {
    const N = 3001;
    const C = 40;
    const sets: number[][] = [];
    const orig = new Int32Array(N);
    for (let i = 0; i < N; i++) {
      orig[i] = (i * 7) % C;
      sets.push(i % 11 === 0 ? [] : i % 3 === 0 ? [orig[i], (orig[i] + 1) % C] : [orig[i]]);
    }
    fs.writeFileSync(f('labels.json'), JSON.stringify(sets));
    writeNpy(f('orig.npy'), { dtype: 'i4', shape: [N], data: orig });
    for (const m of [0, 1]) {
      const d = new Float32Array(N * C);
      for (let i = 0; i < d.length; i++) d[i] = Math.round(Math.sin((m + 2) * 0.61 * i) * 8) / 2; // many ties
      writeNpy(f(`m${m}.npy`), { dtype: 'f4', shape: [N, C], data: d });
    }
    await both(['evaluate', '--labels', f('labels.json'), '--predictions', f('m0.npy'), f('m1.npy'), '--original', f('orig.npy')], redis.url);
  }, 120_000);
});
