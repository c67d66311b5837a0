/**
 * aggregate --cluster on 3 worker processes gives the single machine's bytes:
 * ds (many iterations, resident shards) and gold (the ReaL recipe with the
 * original-label pseudo-rater) on the real raters.npz, mv, one-coin and the
 * TypeScript twins on simulated answers; parameters small enough for the
 * log-space E-step, and EM's default stopping rule on a slow 33-answer set;
 * then a worker killed mid-run.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { runEmSync } from '../../src/aggregate/em';
import { majorityVoteSync } from '../../src/aggregate/mv';
import { modeSpec } from '../../src/aggregate/problem';
import { readAnswers } from '../../src/io/answers';
import { hasNative } from '../../src/native/addon';
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

/**
 * Answers whose second M-step gives parameters below 2^-1000, so the second
 * E-step runs in log space: N always-right workers and one always-wrong
 * worker on Q tasks (the start leaves 1/(N+1) on the wrong class, the first
 * E-step about (1/N)^N), plus X tasks where two right workers disagree.
 */
function logSpaceCsv(file: string, N = 143, Q = 100, X = 20): void {
  const lines = ['task,worker,label'];
  for (let q = 0; q < Q; q++) {
    for (let w = 0; w < N; w++) lines.push(`t${q},w${w},${q % 2}`);
    lines.push(`t${q},wrong,${1 - (q % 2)}`);
  }
  for (let i = 0; i < X; i++) lines.push(`x${i},w${i % N},0`, `x${i},w${(i + 1) % N},1`);
  fs.writeFileSync(file, `${lines.join('\n')}\n`);
}

/** The 33-answer set of test/aggregate/ds.test.ts, which converges slowly. */
const SLOW = `t0,w2,b t0,w1,b t0,w3,b t1,w3,b t1,w0,b t1,w1,b t2,w3,b t2,w2,a t2,w4,b t3,w0,c t3,w4,a t3,w3,c t4,w4,c t4,w3,b t4,w0,a
  t5,w1,a t5,w2,c t5,w3,c t6,w0,b t6,w4,c t6,w3,b t7,w3,c t7,w4,b t7,w1,a t8,w2,c t8,w1,b t8,w4,b t9,w3,b t9,w4,b t9,w2,b t10,w4,a t10,w1,b t10,w0,c`;

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
    const common = ['aggregate', '--answers', R('raters.npz'), '--method', 'ds', '--max-iter', '60', '--tol', '0', '--original', ORIGINAL, '--json'];
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

describeRedis('aggregate --cluster: the log-space M-step and the default stopping rule', () => {
  let redis: Redis;
  let workers: Proc[];
  beforeAll(async () => {
    logSpaceCsv(f('log.csv'));
    fs.writeFileSync(f('slow.csv'), `task,worker,label\n${SLOW.trim().split(/\s+/).join('\n')}\n`);
    redis = await startRedis();
    workers = await startWorkers(redis.url, 3);
  });
  afterAll(async () => {
    await stop(workers ?? []);
    await stop(redis ? [redis] : []);
  });

  test('parameters below 2^-1000 (log-space E-step): cluster == twin == native, byte for byte', async () => {
    // The path is taken: after two iterations a confusion entry is below 2^-1000.
    const t = await readAnswers(f('log.csv'));
    const spec = modeSpec('categorical', t.alphabet);
    const init = majorityVoteSync(t, { spec, backend: 'ts' });
    const [r] = runEmSync([{ ...t, init }], { numAnswers: 2, numClasses: 2, method: 0, maxIter: 2, tol: 0, smoothing: 0, backend: 'ts' });
    expect(r.confusion.some((x) => x > 0 && x < 2 ** -1000)).toBe(true);
    const out: Record<string, { json: string; probs: Buffer; labels: Buffer }> = {};
    // --max-iter 2 ends on the log-space E-step; the default run goes on to convergence.
    for (const iters of ['2', '500']) {
      for (const backend of [...(hasNative() ? ['native'] : []), 'ts']) {
        for (const where of ['one', 'cluster']) {
          const name = `log-${iters}-${backend}-${where}`;
          const args = ['aggregate', '--answers', f('log.csv'), '--method', 'ds', '--max-iter', iters, '--backend', backend, '--json', '--out', f(`${name}.csv`), '--probs-out', f(`${name}-p.csv`)];
          const res = await ok(where === 'one' ? args : [...args, '--cluster', redis.url]);
          const { timings_ms: _t, outputs: _o, ...json } = JSON.parse(res.stdout);
          out[name] = { json: JSON.stringify(json), probs: fs.readFileSync(f(`${name}-p.csv`)), labels: fs.readFileSync(f(`${name}.csv`)) };
        }
      }
      const ref = out[`log-${iters}-ts-one`];
      for (const [name, got] of Object.entries(out)) {
        if (!name.startsWith(`log-${iters}-`)) continue;
        expect({ name, json: got.json }).toEqual({ name, json: ref.json });
        expect(got.probs.equals(ref.probs)).toBe(true);
        expect(got.labels.equals(ref.labels)).toBe(true);
      }
    }
    expect(JSON.parse(out['log-2-ts-one'].json).iterations).toBe(2);
    expect(JSON.parse(out['log-500-ts-one'].json).converged).toBe(true);
  }, 120_000);

  test('the default stopping rule converges on the slow 33-answer set at the same iteration as one machine', async () => {
    for (const backend of [...(hasNative() ? ['native'] : []), 'ts']) {
      const common = ['aggregate', '--answers', f('slow.csv'), '--method', 'ds', '--backend', backend, '--json'];
      const one = JSON.parse((await ok([...common, '--probs-out', f(`slow-${backend}-1.csv`)])).stdout);
      const many = JSON.parse((await ok([...common, '--probs-out', f(`slow-${backend}-3.csv`), '--cluster', redis.url])).stdout);
      expect([one.converged, one.iterations]).toEqual([true, 35]);
      expect([many.converged, many.iterations]).toEqual([true, 35]);
      expect(many.log_likelihood_per_iteration).toEqual(one.log_likelihood_per_iteration);
      same(f(`slow-${backend}-1.csv`), f(`slow-${backend}-3.csv`));
      // The earlier rule, by name: not converged within the default cap, on the cluster too.
      const old = JSON.parse((await ok([...common, '--stop', 'posterior', '--cluster', redis.url])).stdout);
      expect([old.converged, old.iterations]).toEqual([false, 500]);
    }
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
