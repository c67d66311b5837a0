import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { readNpz } from '../../src/io/npz';
import { encodeNpy, writeNpy } from '../../src/io/npy';
import { readProposals, writeProposals } from '../../src/propose/io';
import { proposeSync, proposeFiles, proposalStats, type Proposals } from '../../src/propose/propose';
import { simulate } from '../../src/simulate/simulate';
import { simulateFiles } from '../../src/simulate/write';
import { tmpDir } from '../helpers/tmp';
import { referencePropose } from './reference';

const ROOT = path.resolve(__dirname, '..', '..');
const BIN = path.join(ROOT, 'bin', 'realabel.js');

function bit(mask: Uint32Array, words: number, p: number, m: number): number {
  return (mask[p * words + (m >>> 5)] >>> (m & 31)) & 1;
}

function expectMatchesReference(p: Proposals, logits: Float32Array[], k: number, minVotes: number): void {
  const ref = referencePropose(logits, p.n, p.c, p.original, k, minVotes);
  expect(Array.from(p.image)).toEqual(ref.image);
  expect(Array.from(p.label)).toEqual(ref.label);
  expect(Array.from(p.votes)).toEqual(ref.votes);
  expect(p.top1).toEqual(ref.top1);
  const M = logits.length;
  ref.perModel.forEach((counts, i) => {
    for (let m = 0; m < M; m++) {
      expect([bit(p.models, p.words, i, m), bit(p.modelsBoth, p.words, i, m)]).toEqual([counts[m] >= 1 ? 1 : 0, counts[m] >= 2 ? 1 : 0]);
    }
  });
}

function run(args: string[]) {
  return spawnSync(process.execPath, [BIN, ...args], { encoding: 'utf8', env: { ...process.env, REALABEL_DEBUG: '' } });
}

describe('propose (in memory)', () => {
  it.each([
    [150, 12, 4, undefined, 2],
    [90, 7, 3, 40, 1],
    [60, 9, 5, 200, 3],
  ])('equals the dense reference (N=%i, C=%i, M=%i, K=%s, minVotes=%i)', (n, c, models, k, minVotes) => {
    const sim = simulate({ images: n, classes: c, models, seed: n + c, accuracy: [0.4, 0.8] });
    const p = proposeSync({ logits: sim.logits, n, c, original: sim.original, k, minVotes });
    expect(p.k).toBe(k ?? 3 * n);
    expectMatchesReference(p, sim.logits, p.k, minVotes);
    // The all-TypeScript path (top-K and pooling twins) gives the same bytes.
    expect(proposeSync({ logits: sim.logits, n, c, original: sim.original, k, minVotes, backend: 'ts' })).toEqual(p);
  });

  it('uses more than one mask word above 32 models', () => {
    const n = 30;
    const c = 6;
    const sim = simulate({ images: n, classes: c, models: 35, seed: 5 });
    const p = proposeSync({ logits: sim.logits, n, c, original: sim.original });
    expect(p.words).toBe(2);
    expectMatchesReference(p, sim.logits, 3 * n, 2);
  });

  it('reports the stats', () => {
    const sim = simulate({ images: 200, classes: 10, models: 3, seed: 1, accuracy: 0.9, labelNoise: 0 });
    const p = proposeSync({ logits: sim.logits, n: 200, c: 10, original: sim.original });
    const s = proposalStats(p);
    const perImage = new Array(200).fill(0);
    p.image.forEach((i) => perImage[i]++);
    expect(s.P).toBe(p.image.length);
    expect(s.proposalsPerImage.max).toBe(Math.max(...perImage));
    expect(Math.min(...perImage)).toBeGreaterThanOrEqual(1); // the original label is always proposed
    let agree = 0;
    for (let i = 0; i < 200; i++) if ([0, 1, 2].every((m) => p.top1[m * 200 + i] === sim.original[i])) agree++;
    expect(s.allTop1EqualOriginal).toBe(agree);
    expect(agree).toBeGreaterThan(50);
  });

  it('rejects inconsistent input', () => {
    const sim = simulate({ images: 20, classes: 5, models: 2, seed: 1 });
    const base = { logits: sim.logits, n: 20, c: 5, original: sim.original };
    expect(() => proposeSync({ ...base, logits: [sim.logits[0], sim.logits[1].subarray(5)] })).toThrow('model 1 has 95 logits');
    expect(() => proposeSync({ ...base, original: Int32Array.from(sim.original, (x, i) => (i === 3 ? 5 : x)) })).toThrow(
      'original label 5 at index 3 is out of range [0, 5)',
    );
    expect(() => proposeSync({ ...base, k: 101 })).toThrow('`k` must be an integer in [1, N * C = 100]');
  });
});

describe('propose (files, workers)', () => {
  const dir = tmpDir();
  const n = 120;
  const c = 11;
  const M = 3;
  let files: string[] = [];
  let original = '';
  let sim: ReturnType<typeof simulate>;

  beforeAll(async () => {
    sim = simulate({ images: n, classes: c, models: M, seed: 77 });
    const r = await simulateFiles({ out: path.join(dir, 'sim'), images: n, classes: c, models: M, seed: 77, workers: 1 });
    files = r.models;
    original = r.original;
  });

  it('streams files (small chunks, 1 or 2 workers) to the same proposals as in memory', async () => {
    const mem = proposeSync({ logits: sim.logits, n, c, original: sim.original, modelNames: ['model_00', 'model_01', 'model_02'] });
    for (const workers of [1, 2]) {
      const { proposals, timingsMs } = await proposeFiles({ logits: files, original, workers, chunkBytes: 7 * c * 4 });
      expect(proposals).toEqual(mem);
      expect(timingsMs.total).toBeGreaterThan(0);
    }
  });

  it('reads f8 and big-endian f4 logits like little-endian f4', async () => {
    const mem = proposeSync({ logits: sim.logits, n, c, original: sim.original, modelNames: ['model_00', 'model_01', 'model_02'] });
    const f8 = files.map((f, m) => {
      const out = path.join(dir, 'f8', path.basename(f));
      fs.mkdirSync(path.dirname(out), { recursive: true });
      writeNpy(out, { dtype: 'f8', shape: [n, c], data: Float64Array.from(sim.logits[m]) });
      return out;
    });
    const be = files.map((f, m) => {
      const out = path.join(dir, 'be', path.basename(f));
      fs.mkdirSync(path.dirname(out), { recursive: true });
      const bytes = Buffer.from(encodeNpy({ dtype: 'f4', shape: [n, c], data: sim.logits[m] }));
      const head = bytes.indexOf('<f4');
      bytes.write('>f4', head, 'latin1');
      const dataStart = bytes.length - n * c * 4;
      bytes.subarray(dataStart).swap32();
      fs.writeFileSync(out, bytes);
      return out;
    });
    for (const logits of [f8, be]) {
      const { proposals } = await proposeFiles({ logits, original, workers: 1, chunkBytes: 1000 });
      expect(proposals).toEqual(mem);
    }
  });

  it('round-trips proposals.npz with the documented layout', () => {
    const p = proposeSync({ logits: sim.logits, n, c, original: sim.original, modelNames: ['a', 'bb', 'ccc'] });
    const file = path.join(dir, 'p.npz');
    writeProposals(file, p);
    const raw = readNpz(file);
    expect(raw.image.dtype).toBe('i4');
    expect(raw.models.dtype).toBe('u4');
    expect(raw.models.shape).toEqual([p.image.length]);
    expect(raw.top1.shape).toEqual([M, n]);
    expect(raw.model_names.data).toEqual(['a', 'bb', 'ccc']);
    expect(readProposals(file)).toEqual(p);
  });

  it('CLI: writes proposals.npz and a JSON summary', () => {
    const out = path.join(dir, 'cli.npz');
    const r = run(['propose', '--logits', ...files, '--original', original, '--out', out, '--json', '--workers', '2']);
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    const json = JSON.parse(r.stdout);
    const p = readProposals(out);
    expect(json.P).toBe(p.image.length);
    expect(json.k).toBe(3 * n);
    expect(json.proposals_per_image.mean).toBeCloseTo(p.image.length / n, 10);
    expect(Object.keys(json.timings_ms)).toEqual(expect.arrayContaining(['scan', 'pool', 'write', 'total']));
    expect(p.modelNames).toEqual(['model_00', 'model_01', 'model_02']);
  });

  it('CLI: bad input exits 1 naming the file, and leaves no output', () => {
    const out = path.join(dir, 'bad.npz');
    const other = path.join(dir, 'other.npy');
    writeNpy(other, { dtype: 'f4', shape: [n, c + 1], data: new Float32Array(n * (c + 1)) });
    const badOrig = path.join(dir, 'bad-orig.npy');
    writeNpy(badOrig, { dtype: 'i4', shape: [n], data: Int32Array.from({ length: n }, (_, i) => (i === 7 ? c : 0)) });
    const shortOrig = path.join(dir, 'short-orig.npy');
    writeNpy(shortOrig, { dtype: 'i4', shape: [n - 1], data: new Int32Array(n - 1) });
    const missing = path.join(dir, 'missing.npy');
    const cases: Array<[string[], string]> = [
      [['--logits', files[0], other, '--original', original], `${other}: shape (${n}, ${c + 1}) differs from ${files[0]}: (${n}, ${c})`],
      [['--logits', ...files, '--original', badOrig], `${badOrig}: original label ${c} at index 7 is out of range [0, ${c})`],
      [['--logits', ...files, '--original', shortOrig], `${shortOrig}: original labels must have shape (${n},)`],
      [['--logits', files[0], missing, '--original', original], `${missing}: no such file`],
      [['--logits', ...files, '--original', missing], `${missing}: no such file`],
      [['--logits', ...files, '--original', original, '--k', String(n * c + 1)], '--k must be an integer'],
    ];
    for (const [args, message] of cases) {
      const r = run(['propose', ...args, '--out', out]);
      expect(r.status).toBe(1);
      expect(r.stderr).toContain(message);
      expect(r.stderr.trim().split('\n')).toHaveLength(1);
      expect(fs.existsSync(out)).toBe(false);
    }
    expect(fs.readdirSync(dir).filter((f) => f.endsWith('.tmp'))).toEqual([]);
  });
});
