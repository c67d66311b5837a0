/**
 * Clean failures, command by command: on bad input every command exits 1
 * with one line on stderr that names the offending file and the problem, and
 * leaves nothing behind in its output folder (no output file, no temp file).
 *
 * Each case runs the CLI in this process (`runCli`: the same program as
 * `bin/realabel.js`, its workers from dist/), against small fixtures written here:
 * truncated and garbage .npy/.npz, NaN logits, K too large, CSVs with a
 * missing column, short rows or no header, real.json that is not JSON or has
 * labels out of range, predictions of the wrong length.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { writeNpy, encodeNpy, type NdArray } from '../../src/io/npy';
import { writeNpz } from '../../src/io/npz';
import { runCli } from '../helpers/cli';
import { tmpDir } from '../helpers/tmp';

const dir = tmpDir('realabel-failures-');
const N = 20;
const C = 10;
const f = (name: string) => path.join(dir, name);

function logits(seed: number, nanAt?: [number, number]): Float32Array {
  const d = new Float32Array(N * C);
  for (let i = 0; i < d.length; i++) d[i] = Math.sin(seed * 7.1 + i * 1.37) * 3;
  if (nanAt) d[nanAt[0] * C + nanAt[1]] = NaN;
  return d;
}

const i32 = (values: number[]): NdArray => ({ dtype: 'i4', shape: [values.length], data: Int32Array.from(values) });
const labels = Array.from({ length: N }, (_, i) => (i * 3) % C);
const SYNSETS = ['n01440764', 'n01443537', 'n01484850', 'n01491361', 'n01494475', 'n01496331', 'n01498041', 'n01514668', 'n01514859', 'n01518878'];

/** A golden.npz-layout file: tensor [R, Q, 3] one-hot, info [Q, 2]. */
function goldNpz(file: string, opts: { dropInfo?: boolean } = {}): void {
  const Q = 6;
  const R = 3;
  const tensor = new Float64Array(R * Q * 3);
  for (let r = 0; r < R; r++) for (let q = 0; q < Q; q++) tensor[(r * Q + q) * 3 + ((q + r) % 2 ? 2 : 0)] = 1;
  const info = Array.from({ length: Q }, (_, q) => [`ILSVRC2012_val_${String(q + 1).padStart(8, '0')}.JPEG`, String(labels[q])]).flat();
  const members: Record<string, NdArray> = { tensor: { dtype: 'f8', shape: [R, Q, 3], data: tensor } };
  if (!opts.dropInfo) members.info = { dtype: 'U28', shape: [Q, 2], data: info };
  writeNpz(file, members, { compress: true });
}

function truncate(src: string, dst: string, keep = 0.5): void {
  const b = fs.readFileSync(src);
  fs.writeFileSync(dst, b.subarray(0, Math.floor(b.length * keep)));
}

function garbage(file: string, bytes = 300): void {
  const b = Buffer.alloc(bytes);
  for (let i = 0; i < bytes; i++) b[i] = (i * 97 + 13) & 0xff;
  fs.writeFileSync(file, b);
}

beforeAll(() => {
  ['m0', 'm1', 'm2'].forEach((m, s) => writeNpy(f(`${m}.npy`), { dtype: 'f4', shape: [N, C], data: logits(s + 1) }));
  writeNpy(f('nan.npy'), { dtype: 'f4', shape: [N, C], data: logits(4, [3, 4]) });
  writeNpy(f('int-logits.npy'), i32(labels));
  writeNpy(f('wide.npy'), { dtype: 'f4', shape: [N, C + 1], data: new Float32Array(N * (C + 1)) });
  truncate(f('m0.npy'), f('trunc.npy'));
  garbage(f('garbage.npy'));
  writeNpy(f('orig.npy'), i32(labels));
  writeNpy(f('orig-range.npy'), i32(labels.map((l, i) => (i === 5 ? C : l))));
  writeNpy(f('orig-short.npy'), i32(labels.slice(1)));
  writeNpy(f('pred.npy'), i32(labels.map((l, i) => (i % 4 ? l : (l + 1) % C))));
  writeNpy(f('pred-short.npy'), i32(labels.slice(0, N - 3)));
  writeNpy(f('pred-nan.npy'), { dtype: 'f4', shape: [N, C], data: logits(5, [7, 0]) });
  fs.writeFileSync(f('real.json'), JSON.stringify(labels.map((l) => [l])));
  fs.writeFileSync(f('real-notjson.json'), '[[1], [2], [3');
  fs.writeFileSync(f('real-range.json'), JSON.stringify(labels.map((l, i) => (i === 9 ? [l, C] : [l]))));
  fs.writeFileSync(f('synsets.txt'), SYNSETS.map((w, i) => `${w} class ${i}\n`).join(''));
  fs.writeFileSync(f('synsets-bad.txt'), Buffer.from('n01440764 tench\nn0144\xff bad\n', 'latin1'));
  writeNpz(f('proposals.npz'), { image: i32([0, 0, 1, 2]), label: i32([1, 2, 3, 4]) }, { compress: true });
  writeNpz(f('proposals-range.npz'), { image: i32([0, 1]), label: i32([1, C]) });
  truncate(f('proposals.npz'), f('proposals-trunc.npz'));
  garbage(f('garbage.npz'));
  goldNpz(f('gold.npz'));
  goldNpz(f('gold-noinfo.npz'), { dropInfo: true });
  truncate(f('gold.npz'), f('gold-trunc.npz'), 0.7);
  const rows = Array.from({ length: 12 }, (_, i) => `${i % 4}:${i % 3},w${i % 3},${['no', 'maybe', 'yes'][i % 3]}`);
  fs.writeFileSync(f('answers.csv'), `task,worker,label\n${rows.join('\n')}\n`);
  fs.writeFileSync(f('answers-nolabel.csv'), `task,worker\n${rows.map((r) => r.split(',').slice(0, 2).join(',')).join('\n')}\n`);
  fs.writeFileSync(f('answers-short.csv'), `task,worker,label\n${rows[0]}\n0:1,w2\n`);
  fs.writeFileSync(f('answers-noheader.csv'), `${rows.join('\n')}\n`);
  fs.writeFileSync(f('answers-dup.csv'), `task,worker,label\n${rows[0]}\n${rows[1]}\n${rows[0]}\n`);
  fs.writeFileSync(f('answers.jsonl'), '{"task": "0:1", "worker": "w1", "label": "yes"}\n{"task": "0:2", "worker": \n');
  fs.mkdirSync(f('data'));
  truncate(f('gold.npz'), f('data/raters.npz'), 0.6);
  writeNpz(f('images.onnx'), { x: i32([1]) }); // not an ONNX model
  fs.writeFileSync(f('list.txt'), Buffer.from('a.jpg\n\xfe\xfe.jpg\n', 'latin1'));
  fs.writeFileSync(f('list-ok.txt'), 'a.jpg\n');
  // An .npy whose header claims more than the file holds (2^31 - 1 rows).
  const claim = Buffer.from(encodeNpy({ dtype: 'f4', shape: [1, C], data: new Float32Array(C) }));
  fs.writeFileSync(f('huge.npy'), Buffer.from(claim.toString('latin1').replace(`(1, ${C})`, `(2147483647, ${C})`), 'latin1'));
});

interface Case {
  name: string;
  args: string[];
  /** What the one line must say besides the file's name. */
  says: RegExp;
  /** The file the line must name (a fixture's base name). */
  names: string;
}

/** `{out}` in args becomes this case's own (empty) output folder. */
const cases: Case[] = [
  // topk
  { name: 'topk: truncated .npy', args: ['topk', 'trunc.npy', '--k', '5', '--out', '{out}/p.npz'], names: 'trunc.npy', says: /truncated|shorter|expected/ },
  { name: 'topk: garbage .npy', args: ['topk', 'garbage.npy', '--k', '5', '--out', '{out}/p.npz'], names: 'garbage.npy', says: /not a \.npy|magic/i },
  { name: 'topk: NaN logits', args: ['topk', 'nan.npy', '--k', '5', '--out', '{out}/p.npz'], names: 'nan.npy', says: /row 3, column 4 is NaN/ },
  { name: 'topk: K too large', args: ['topk', 'm0.npy', '--k', String(N * C + 1), '--out', '{out}/p.npz'], names: 'm0.npy', says: /k = 201 is out of range \[1, 200\]/ },
  { name: 'topk: integer logits', args: ['topk', 'int-logits.npy', '--k', '5', '--out', '{out}/p.npz'], names: 'int-logits.npy', says: /float/ },
  { name: 'topk: header claims 2^31 rows', args: ['topk', 'huge.npy', '--k', '5', '--out', '{out}/p.npz'], names: 'huge.npy', says: /truncated|shorter|expected|supported|holds/ },
  { name: 'topk: missing file', args: ['topk', 'none.npy', '--k', '5', '--out', '{out}/p.npz'], names: 'none.npy', says: /no such file/ },
  // propose
  { name: 'propose: truncated logits', args: ['propose', '--logits', 'm0.npy', 'trunc.npy', '--original', 'orig.npy', '--out', '{out}/p.npz'], names: 'trunc.npy', says: /truncated|shorter|expected/ },
  { name: 'propose: garbage logits', args: ['propose', '--logits', 'garbage.npy', 'm1.npy', '--original', 'orig.npy', '--out', '{out}/p.npz'], names: 'garbage.npy', says: /not a \.npy|magic/i },
  { name: 'propose: NaN logits', args: ['propose', '--logits', 'm0.npy', 'nan.npy', '--original', 'orig.npy', '--out', '{out}/p.npz'], names: 'nan.npy', says: /row 3, column 4 is NaN/ },
  { name: 'propose: K too large', args: ['propose', '--logits', 'm0.npy', 'm1.npy', '--original', 'orig.npy', '--k', '201', '--out', '{out}/p.npz'], names: 'm0.npy', says: /k.* 201|201.*k/i },
  { name: 'propose: original label out of range', args: ['propose', '--logits', 'm0.npy', 'm1.npy', '--original', 'orig-range.npy', '--out', '{out}/p.npz'], names: 'orig-range.npy', says: /10 .*out of range \[0, 10\)/ },
  { name: 'propose: original of the wrong length', args: ['propose', '--logits', 'm0.npy', 'm1.npy', '--original', 'orig-short.npy', '--out', '{out}/p.npz'], names: 'orig-short.npy', says: /shape \(20,\)/ },
  { name: 'propose: logits of different shapes', args: ['propose', '--logits', 'm0.npy', 'wide.npy', '--original', 'orig.npy', '--out', '{out}/p.npz'], names: 'wide.npy', says: /differs/ },
  // select-models
  { name: 'select-models: truncated proposals', args: ['select-models', '--proposals', 'proposals-trunc.npz', '--gold', 'gold.npz'], names: 'proposals-trunc.npz', says: /truncated|zip|corrupt/ },
  { name: 'select-models: garbage gold', args: ['select-models', '--proposals', '{propose}', '--gold', 'garbage.npz'], names: 'garbage.npz', says: /zip|not/ },
  { name: 'select-models: truncated gold', args: ['select-models', '--proposals', '{propose}', '--gold', 'gold-trunc.npz'], names: 'gold-trunc.npz', says: /truncated|zip|corrupt/ },
  { name: 'select-models: gold without info', args: ['select-models', '--proposals', '{propose}', '--gold', 'gold-noinfo.npz', '--pareto', '{out}/pareto.csv'], names: 'gold-noinfo.npz', says: /info/ },
  // tasks
  { name: 'tasks: truncated proposals', args: ['tasks', '--proposals', 'proposals-trunc.npz', '--synsets', 'synsets.txt', '--out', '{out}/t.jsonl'], names: 'proposals-trunc.npz', says: /truncated|zip|corrupt/ },
  { name: 'tasks: garbage proposals', args: ['tasks', '--proposals', 'garbage.npz', '--synsets', 'synsets.txt', '--out', '{out}/t.jsonl'], names: 'garbage.npz', says: /zip|not/ },
  { name: 'tasks: label out of range', args: ['tasks', '--proposals', 'proposals-range.npz', '--synsets', 'synsets.txt', '--out', '{out}/t.jsonl'], names: 'proposals-range.npz', says: /label 10 is outside the 10 classes/ },
  { name: 'tasks: synsets not UTF-8', args: ['tasks', '--proposals', 'proposals.npz', '--synsets', 'synsets-bad.txt', '--out', '{out}/t.jsonl'], names: 'synsets-bad.txt', says: /line 2: not valid UTF-8/ },
  // aggregate
  { name: 'aggregate: CSV without a label column', args: ['aggregate', '--answers', 'answers-nolabel.csv', '--method', 'mv', '--out', '{out}/s.csv'], names: 'answers-nolabel.csv', says: /line 1: the header lacks column 'label'/ },
  { name: 'aggregate: CSV with short rows', args: ['aggregate', '--answers', 'answers-short.csv', '--method', 'ds', '--out', '{out}/s.csv'], names: 'answers-short.csv', says: /line 3: missing field 'label'/ },
  { name: 'aggregate: CSV without a header', args: ['aggregate', '--answers', 'answers-noheader.csv', '--method', 'mv', '--out', '{out}/s.csv'], names: 'answers-noheader.csv', says: /line 1: the header lacks columns/ },
  { name: 'aggregate: duplicate answers', args: ['aggregate', '--answers', 'answers-dup.csv', '--method', 'mv', '--out', '{out}/s.csv'], names: 'answers-dup.csv', says: /line 4: worker 'w0' answered task '0:0' twice/ },
  { name: 'aggregate: truncated JSONL', args: ['aggregate', '--answers', 'answers.jsonl', '--method', 'mv', '--out', '{out}/s.csv'], names: 'answers.jsonl', says: /line 2: not valid JSON/ },
  { name: 'aggregate: truncated raters.npz', args: ['aggregate', '--answers', 'data/raters.npz', '--method', 'ds', '--out', '{out}/s.npz'], names: 'raters.npz', says: /truncated|zip|corrupt/ },
  { name: 'aggregate: gold truth not UTF-8', args: ['aggregate', '--answers', 'answers.csv', '--method', 'gold', '--gold-answers', 'answers.csv', '--gold-truth', 'synsets-bad.txt.csv', '--out', '{out}/s.csv'], names: 'synsets-bad.txt.csv', says: /line 2: not valid UTF-8/ },
  // reproduce-real
  { name: 'reproduce-real: truncated raters.npz', args: ['reproduce-real', '--data', 'data', '--original', 'orig.npy', '--out', '{out}'], names: 'raters.npz', says: /truncated|zip|corrupt|golden/ },
  // evaluate
  { name: 'evaluate: real.json not JSON', args: ['evaluate', '--labels', 'real-notjson.json', '--predictions', 'pred.npy'], names: 'real-notjson.json', says: /not valid JSON/ },
  { name: 'evaluate: labels out of range', args: ['evaluate', '--labels', 'real-range.json', '--predictions', 'm0.npy'], names: 'real-range.json', says: /label 10.*out of range|out of range.*10/ },
  { name: 'evaluate: predictions of the wrong length', args: ['evaluate', '--labels', 'real.json', '--predictions', 'pred-short.npy'], names: 'pred-short.npy', says: /17|20/ },
  { name: 'evaluate: NaN logits', args: ['evaluate', '--labels', 'real.json', '--predictions', 'pred-nan.npy', '--per-class', '{out}/pc.csv'], names: 'pred-nan.npy', says: /row 7.*NaN|NaN.*row 7/ },
  { name: 'evaluate: truncated predictions', args: ['evaluate', '--labels', 'real.json', '--predictions', 'trunc.npy'], names: 'trunc.npy', says: /truncated|shorter|expected/ },
  // analyze
  { name: 'analyze: real.json not JSON', args: ['analyze', '--labels', 'real-notjson.json', '--original', 'orig.npy', '--out', '{out}/report'], names: 'real-notjson.json', says: /not valid JSON/ },
  { name: 'analyze: original of the wrong length', args: ['analyze', '--labels', 'real.json', '--original', 'orig-short.npy', '--out', '{out}/report'], names: 'orig-short.npy', says: /19|20/ },
  { name: 'analyze: predictions of the wrong length', args: ['analyze', '--labels', 'real.json', '--original', 'orig.npy', '--predictions', 'pred-short.npy', '--out', '{out}/report'], names: 'pred-short.npy', says: /17|20/ },
  { name: 'analyze: labels out of range', args: ['analyze', '--labels', 'real-range.json', '--original', 'orig.npy', '--classes', '10', '--out', '{out}/report'], names: 'real-range.json', says: /out of range/ },
  // clean
  { name: 'clean: predictions of the wrong length', args: ['clean', '--labels', 'orig.npy', '--predictions', 'pred-short.npy', '--out', '{out}/keep.txt'], names: 'pred-short.npy', says: /17|20/ },
  { name: 'clean: NaN logits', args: ['clean', '--labels', 'orig.npy', '--predictions', 'nan.npy', '--min-prob', '0.2', '--out', '{out}/keep.txt'], names: 'nan.npy', says: /NaN/ },
  { name: 'clean: truncated predictions', args: ['clean', '--labels', 'orig.npy', '--predictions', 'trunc.npy', '--out', '{out}/keep.npy'], names: 'trunc.npy', says: /truncated|shorter|expected/ },
  { name: 'clean: labels out of range', args: ['clean', '--labels', 'orig-range.npy', '--predictions', 'm0.npy', '--out', '{out}/keep.txt'], names: 'orig-range.npy', says: /label 10 .*\[0, 10\)/ },
  // export
  { name: 'export: real.json not JSON', args: ['export', '--labels', 'real-notjson.json', '--format', 'multihot', '--classes', '10', '--out', '{out}/t.npy'], names: 'real-notjson.json', says: /not valid JSON/ },
  { name: 'export: labels out of range', args: ['export', '--labels', 'real-range.json', '--format', 'jsonl', '--classes', '10', '--out', '{out}/t.jsonl'], names: 'real-range.json', says: /entry 9 has label 10, out of range \[0, 10\)/ },
  { name: 'export: synsets not UTF-8', args: ['export', '--labels', 'real.json', '--format', 'jsonl', '--classes', '10', '--synsets', 'synsets-bad.txt', '--out', '{out}/t.jsonl'], names: 'synsets-bad.txt', says: /line 2: not valid UTF-8/ },
  // simulate
  { name: 'simulate: truth not JSON', args: ['simulate', '--models', '2', '--classes', '10', '--truth', 'real-notjson.json', '--out', '{out}/sim'], names: 'real-notjson.json', says: /not valid JSON/ },
  { name: 'simulate: truth out of range', args: ['simulate', '--models', '2', '--classes', '10', '--truth', 'real-range.json', '--out', '{out}/sim'], names: 'real-range.json', says: /out of range/ },
  { name: 'simulate: --out under a file', args: ['simulate', '--models', '2', '--images', '100', '--classes', '10', '--out', 'garbage.npy/sim'], names: 'garbage.npy/sim', says: /cannot create the folder/ },
  // demo: mkdir answering ENOENT under an existing parent made Node's recursive mkdirSync spin forever
  ...(fs.existsSync('/proc/self')
    ? [{ name: 'demo: --out where mkdir fails (/proc)', args: ['demo', '--out', '/proc/realabel-nope/x', '--images', '100', '--classes', '10', '--models', '2'], names: '/proc/realabel-nope/x', says: /cannot create the folder \(ENOENT\)/ }]
    : []),
  // logits
  { name: 'logits: a model that is not ONNX', args: ['logits', '--model', 'images.onnx', '--images', 'list-ok.txt', '--out', '{out}/l.npy', '--workers', '1'], names: 'images.onnx', says: /ONNX|model/ },
  { name: 'logits: an image list that is not UTF-8', args: ['logits', '--model', 'images.onnx', '--images', 'list.txt', '--out', '{out}/l.npy', '--workers', '1'], names: 'list.txt', says: /line 2: not valid UTF-8/ },
];

async function run(args: string[]) {
  const r = await runCli(args, { cwd: dir });
  return { status: r.code, stdout: r.stdout, stderr: r.stderr };
}

let proposals = '';

describe('every command fails cleanly on bad input', () => {
  beforeAll(async () => {
    fs.writeFileSync(f('synsets-bad.txt.csv'), fs.readFileSync(f('synsets-bad.txt')));
    const r = await run(['propose', '--logits', 'm0.npy', 'm1.npy', 'm2.npy', '--original', 'orig.npy', '--out', 'good-proposals.npz']);
    expect(r.stderr).toBe('');
    proposals = 'good-proposals.npz';
  });

  it.each(cases.map((c) => [c.name, c] as const))('%s', async (_, c) => {
    const out = fs.mkdtempSync(path.join(dir, 'out-'));
    const args = c.args.map((a) => a.replace('{out}', out).replace('{propose}', proposals));
    const before = fs.readdirSync(dir).sort();
    const r = await run(args);
    const where = `realabel ${args.join(' ')}\nstdout: ${r.stdout}\nstderr: ${r.stderr}`;
    expect({ status: r.status, where }).toEqual({ status: 1, where });
    // One line, naming the file and the problem.
    expect(r.stderr).toMatch(/^realabel: [^\n]+\n$/);
    expect(r.stderr).toContain(c.names);
    expect(r.stderr).toMatch(c.says);
    expect(r.stderr).not.toMatch(/internal error/);
    // Nothing left behind: the output folder stays empty, the fixtures folder unchanged.
    expect(fs.readdirSync(out)).toEqual([]);
    expect(fs.readdirSync(dir).sort()).toEqual(before);
    fs.rmSync(out, { recursive: true });
  });
});
