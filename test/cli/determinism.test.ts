/**
 * Determinism: the same inputs give byte-identical output files whatever
 * --threads or --workers is, and across two runs (sha256 of every output).
 * simulate → topk, propose → tasks, and aggregate (raters.npz and CSV), all
 * through the built CLI.
 */
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { writeNpy } from '../../src/io/npy';
import { writeNpz } from '../../src/io/npz';
import { tmpDir } from '../helpers/tmp';

const BIN = path.resolve(__dirname, '..', '..', 'bin', 'realabel.js');
const dir = tmpDir('realabel-determinism-');
const f = (name: string) => path.join(dir, name);

function run(args: string[]): void {
  const r = spawnSync(process.execPath, [BIN, ...args], { cwd: dir, encoding: 'utf8', env: { ...process.env, REALABEL_DEBUG: '' } });
  if (r.status !== 0) throw new Error(`realabel ${args.join(' ')} exited ${r.status}: ${r.stderr}`);
}

const sha = (file: string) => createHash('sha256').update(fs.readFileSync(file)).digest('hex');

/** sha256 of each output of `runOnce(tag)` for every tag; all must be equal. */
function expectSameBytes(tags: string[], outputs: (tag: string) => string[], runOnce: (tag: string) => void): void {
  const digests = tags.map((tag) => {
    runOnce(tag);
    return outputs(tag).map(sha);
  });
  for (const d of digests.slice(1)) expect(d).toEqual(digests[0]);
}

// 12 ImageNet classes (dogs, cats, cars), in synset.txt order.
const SYNSETS = [
  'n02085620 Chihuahua', 'n02085782 Japanese spaniel', 'n02085936 Maltese dog', 'n02086079 Pekinese', 'n02086240 Shih-Tzu',
  'n02123045 tabby', 'n02123159 tiger cat', 'n02123394 Persian cat', 'n02814533 beach wagon', 'n02930766 cab',
  'n03100240 convertible', 'n03594945 jeep',
];
const MODELS = 4;
const N = 4000;
const C = SYNSETS.length;
const models = Array.from({ length: MODELS }, (_, m) => `sim-w1/model_${String(m).padStart(2, '0')}.npy`);

beforeAll(() => {
  fs.writeFileSync(f('synset.txt'), `${SYNSETS.join('\n')}\n`);
});

describe('simulate', () => {
  it('writes the same files with 1 or 2 workers, and again', () => {
    const files = (tag: string) => [...models.map((m) => m.replace('sim-w1', `sim-${tag}`)), `sim-${tag}/original.npy`, `sim-${tag}/truth.json`].map(f);
    const workers: Record<string, string> = { w1: '1', w2: '2', again: '1' };
    expectSameBytes(['w1', 'w2', 'again'], files, (tag) =>
      run(['simulate', '--models', String(MODELS), '--images', String(N), '--classes', String(C), '--seed', '7', '--out', f(`sim-${tag}`), '--workers', workers[tag]]),
    );
  });
});

describe('topk', () => {
  // A larger matrix with many ties: 16 row blocks, sampled thresholds, a parallel final sort.
  beforeAll(() => {
    const n = 20000;
    const c = 60;
    const d = new Float32Array(n * c);
    for (let i = 0; i < d.length; i++) d[i] = Math.round(Math.sin(i * 0.7) * 40) / 8;
    writeNpy(f('big.npy'), { dtype: 'f4', shape: [n, c], data: d });
  });
  for (const [criterion, file, k] of [['logit', models[0], 3 * N], ['prob', models[1], 3 * N], ['logit', 'big.npy', 60000], ['prob', 'big.npy', 5000]] as const) {
    it(`${file} --criterion ${criterion} --k ${k}: same pairs.npz for --threads 1, 2, 3, 0 and again`, () => {
      const out = (t: string) => f(`pairs-${criterion}-${k}-${t}.npz`);
      expectSameBytes(['1', '2', '3', '0', '1b'], (t) => [out(t)], (t) =>
        run(['topk', file, '--k', String(k), '--criterion', criterion, '--threads', t.replace('b', ''), '--out', out(t)]),
      );
    });
  }
});

describe('propose, then tasks', () => {
  it('same proposals.npz for any --workers and --threads, and again', () => {
    const configs = ['1x1', '2x1', '3x2', '1x3', '2x0', '1x1b'];
    expectSameBytes(configs, (t) => [f(`proposals-${t}.npz`)], (t) => {
      const [w, th] = t.replace('b', '').split('x');
      run(['propose', '--logits', ...models, '--original', 'sim-w1/original.npy', '--workers', w, '--threads', th, '--out', f(`proposals-${t}.npz`)]);
    });
  });

  it('tasks: same JSONL and CSV across runs', () => {
    for (const format of ['jsonl', 'csv']) {
      expectSameBytes(['a', 'b'], (t) => [f(`tasks-${t}.${format}`)], (t) =>
        run(['tasks', '--proposals', 'proposals-1x1.npz', '--synsets', 'synset.txt', '--format', format, '--out', f(`tasks-${t}.${format}`)]),
      );
    }
  });
});

describe('aggregate', () => {
  /** A deterministic pseudo-random raters.npz: R raters, Q questions, one-hot no/maybe/yes or no answer. */
  function ratersNpz(file: string, R: number, Q: number): void {
    const tensor = new Float64Array(R * Q * 3);
    let s = 12345;
    const next = () => ((s = (s * 1103515245 + 12345) >>> 0) >>> 8) / (1 << 24);
    for (let r = 0; r < R; r++) {
      for (let q = 0; q < Q; q++) {
        const truth = q % 3 === 0;
        const u = next();
        if (u < 0.3) continue; // not asked
        const a = truth ? (u < 0.85 ? 2 : u < 0.93 ? 1 : 0) : u < 0.8 ? 0 : u < 0.9 ? 1 : 2;
        tensor[(r * Q + q) * 3 + a] = 1;
      }
    }
    const info = Array.from({ length: Q }, (_, q) => [`ILSVRC2012_val_${String(Math.floor(q / 3) + 1).padStart(8, '0')}.JPEG`, String(q % 3)]).flat();
    writeNpz(file, {
      tensor: { dtype: 'f8', shape: [R, Q, 3], data: tensor },
      info: { dtype: 'U28', shape: [Q, 2], data: info },
      ids: { dtype: 'i8', shape: [R], data: BigInt64Array.from({ length: R }, (_, r) => BigInt(100 + r)) },
    }, { compress: true });
  }

  beforeAll(() => {
    ratersNpz(f('raters.npz'), 7, 3000);
    writeNpy(f('orig-1000.npy'), { dtype: 'i4', shape: [1000], data: Int32Array.from({ length: 1000 }, (_, i) => (i * 7) % 5) });
  });

  for (const method of ['ds', 'one-coin', 'mv']) {
    it(`${method} on raters.npz: same scores.npz and real.json for --threads 1, 2, 3 and again`, () => {
      expectSameBytes(['1', '2', '3', '1b'], (t) => [f(`scores-${method}-${t}.npz`), f(`real-${method}-${t}.json`)], (t) =>
        run(['aggregate', '--answers', 'raters.npz', '--method', method, '--threads', t.replace('b', ''),
          '--out', f(`scores-${method}-${t}.npz`), '--original', 'orig-1000.npy', '--labels-out', f(`real-${method}-${t}.json`)]),
      );
    });
  }

  it('ds on a categorical CSV: same CSV for --threads 1, 3 and again', () => {
    const rows = ['task,worker,label'];
    for (let t = 0; t < 400; t++) for (let w = 0; w < 6; w++) if ((t * 7 + w * 3) % 5) rows.push(`t${t},w${w},${(t + (w === 2 ? 1 : 0) + ((t * w) % 7 === 0 ? 2 : 0)) % 4}`);
    fs.writeFileSync(f('answers.csv'), `${rows.join('\n')}\n`);
    expectSameBytes(['1', '3', '1b'], (t) => [f(`labels-${t}.csv`)], (t) =>
      run(['aggregate', '--answers', 'answers.csv', '--method', 'ds', '--threads', t.replace('b', ''), '--out', f(`labels-${t}.csv`)]),
    );
  });
});
