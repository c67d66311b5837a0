/**
 * aggregate --cluster on 3 worker processes gives the single machine's bytes:
 * ds (many iterations, resident shards) and gold (the ReaL recipe with the
 * original-label pseudo-rater) on the real raters.npz, mv, one-coin and the
 * TypeScript twins on simulated answers; then a worker killed mid-run.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { dataPath, HAVE_DATA } from '../helpers/data';
import { tmpDir } from '../helpers/tmp';
import { describeRedis, realabel, startRedis, startWorkers, stop, type Proc, type Redis } from './redis';

const dir = tmpDir('realabel-cluster-agg-');
const f = (name: string) => path.join(dir, name);
const R = (...p: string[]) => dataPath('reassessed-imagenet', ...p);
const ORIGINAL = dataPath('imagenet-val', 'imagenet_val_original_labels.npy');

/** Simulated categorical answers: Q tasks, 5 of W workers each, workers right with their own accuracy. */
function simulatedCsv(file: string, Q: number, W: number, seed: number): void {
  let s = seed >>> 0;
  const rnd = () => ((s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 2 ** 32);
  const lines = ['task,worker,label'];
  for (let q = 0; q < Q; q++) {
    const truth = Math.floor(rnd() * 3);
    const used = new Set<number>();
    while (used.size < 5) used.add(Math.floor(rnd() * W));
    for (const w of used) {
      const acc = 0.5 + 0.45 * ((w * 7919) % 100) / 100;
      lines.push(`t${q},w${w},${rnd() < acc ? truth : Math.floor(rnd() * 3)}`);
    }
  }
  fs.writeFileSync(file, `${lines.join('\n')}\n`);
}

function same(a: string, b: string): void {
  expect(fs.existsSync(a) && fs.existsSync(b)).toBe(true);
  expect(fs.readFileSync(a).equals(fs.readFileSync(b))).toBe(true);
}

async function ok(args: string[], env: NodeJS.ProcessEnv = {}) {
  const r = await realabel(args, env);
  expect({ status: r.status, stderr: r.stderr }).toEqual({ status: 0, stderr: '' });
  return r;
}

describeRedis('aggregate --cluster', () => {
  let redis: Redis;
  let workers: Proc[];
  beforeAll(async () => {
    simulatedCsv(f('sim.csv'), 3000, 20, 7);
    redis = await startRedis();
    // A long lock: reading raters.npz keeps a worker busy for seconds on a loaded machine.
    workers = await startWorkers(redis.url, 3, {}, 15000);
  });
  afterAll(async () => {
    await stop(workers ?? []);
    await stop(redis ? [redis] : []);
  });

  (HAVE_DATA ? test : test.skip)('ds on raters.npz: scores and labels byte-identical', async () => {
    const common = ['aggregate', '--answers', R('raters.npz'), '--method', 'ds', '--max-iter', '60', '--original', ORIGINAL, '--json'];
    const one = await ok([...common, '--out', f('ds1.npz'), '--labels-out', f('ds1.json')]);
    const many = await ok([...common, '--out', f('ds3.npz'), '--labels-out', f('ds3.json'), '--cluster', redis.url]);
    same(f('ds1.npz'), f('ds3.npz'));
    same(f('ds1.json'), f('ds3.json'));
    const [a, b] = [JSON.parse(one.stdout), JSON.parse(many.stdout)];
    expect(b.log_likelihood_per_iteration).toEqual(a.log_likelihood_per_iteration);
    expect(b.iterations).toBe(60);
  }, 180_000);

  (HAVE_DATA ? test : test.skip)('gold (the ReaL recipe) on raters.npz: byte-identical', async () => {
    const common = [
      'aggregate', '--answers', R('raters.npz'), '--method', 'gold', '--gold-answers', R('raters_golden.npz'), '--gold-truth', R('golden.npz'),
      '--gold-min-yes', '3', '--pseudo-rater', 'original-label,classes=0-397,gold-min-yes=2', '--original', ORIGINAL, '--json',
    ];
    const one = await ok([...common, '--out', f('g1.npz'), '--labels-out', f('g1.json'), '--pr-curve', f('g1.csv')]);
    const many = await ok([...common, '--out', f('g3.npz'), '--labels-out', f('g3.json'), '--pr-curve', f('g3.csv'), '--cluster', redis.url]);
    for (const [x, y] of [['g1.npz', 'g3.npz'], ['g1.json', 'g3.json'], ['g1.csv', 'g3.csv']]) same(f(x), f(y));
    expect(JSON.parse(many.stdout).log_likelihood).toBe(JSON.parse(one.stdout).log_likelihood);
    // And the published labels, byte for byte (the single-machine test's claim, through the cluster).
    same(f('g3.json'), R('real.json'));
  }, 120_000);

  test('mv, ds, one-coin on simulated answers, native and TypeScript kernels: byte-identical', async () => {
    for (const [method, backend] of [['mv', 'auto'], ['ds', 'auto'], ['one-coin', 'auto'], ['ds', 'ts'], ['one-coin', 'ts']]) {
      const common = ['aggregate', '--answers', f('sim.csv'), '--method', method, '--backend', backend, '--smoothing', method === 'mv' ? '0' : '0.5'];
      await ok([...common, '--out', f(`${method}-${backend}-1.csv`)]);
      await ok([...common, '--out', f(`${method}-${backend}-3.csv`), '--cluster', redis.url]);
      same(f(`${method}-${backend}-1.csv`), f(`${method}-${backend}-3.csv`));
    }
    // No scratch files are left next to the output.
    expect(fs.readdirSync(dir).filter((n) => n.startsWith('.realabel-cluster'))).toEqual([]);
  }, 120_000);
});

describeRedis('aggregate --cluster when a worker dies mid-run', () => {
  let redis: Redis;
  let workers: Proc[] = [];
  beforeAll(async () => {
    simulatedCsv(f('kill.csv'), 3000, 20, 11);
    redis = await startRedis();
  });
  afterAll(async () => {
    await stop(workers);
    await stop(redis ? [redis] : []);
  });

  test('its shards are reloaded elsewhere, the run finishes, the output is unchanged', async () => {
    const common = ['aggregate', '--answers', f('kill.csv'), '--method', 'ds', '--max-iter', '30', '--tol', '0'];
    await ok([...common, '--out', f('kill1.csv')]);
    // The third worker dies (process exit, no clean-up) in its 4th job: an EM step on its own queue.
    workers = [...(await startWorkers(redis.url, 2)), ...(await startWorkers(redis.url, 1, { REALABEL_TEST_CLUSTER_FAULT: 'exit:4' }))];
    const r = await ok([...common, '--out', f('kill3.csv'), '--cluster', redis.url]);
    expect(r.status).toBe(0);
    expect(await workers[2].exited).toBe(70);
    same(f('kill1.csv'), f('kill3.csv'));
  }, 120_000);
});
