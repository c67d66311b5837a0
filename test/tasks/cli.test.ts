import * as fs from 'node:fs';
import * as path from 'node:path';
import { parse } from 'csv-parse/sync';
import { buildProgram } from '../../src/cli/main';
import { ndarray, type NdArray } from '../../src/io/npy';
import { writeNpz } from '../../src/io/npz';
import { parseQuestionId } from '../../src/tasks/format';
import { tmpDir } from '../helpers/tmp';

// 12 ImageNet classes: 5 dogs, 3 cats, 4 cars (lines of synset.txt)
const SYNSETS = [
  'n02085620 Chihuahua',
  'n02085782 Japanese spaniel',
  'n02085936 Maltese dog, Maltese terrier, Maltese',
  'n02086079 Pekinese, Pekingese, Peke',
  'n02086240 Shih-Tzu',
  'n02123045 tabby, tabby cat',
  'n02123159 tiger cat',
  'n02123394 Persian cat',
  'n02814533 beach wagon, station wagon, wagon, estate car, beach waggon, station waggon, waggon',
  'n02930766 cab, hack, taxi, taxicab',
  'n03100240 convertible',
  'n03594945 jeep, landrover',
];

async function cli(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = '';
  let stderr = '';
  const out = jest.spyOn(process.stdout, 'write').mockImplementation((s) => ((stdout += String(s)), true));
  const err = jest.spyOn(process.stderr, 'write').mockImplementation((s) => ((stderr += String(s)), true));
  process.exitCode = 0;
  try {
    await buildProgram().parseAsync(['node', 'realabel', ...args]);
  } finally {
    out.mockRestore();
    err.mockRestore();
  }
  const code = Number(process.exitCode ?? 0);
  process.exitCode = 0;
  return { code, stdout, stderr };
}

describe('realabel tasks', () => {
  const dir = tmpDir();
  const file = (name: string) => path.join(dir, name);
  const synsets = file('synset.txt');
  fs.writeFileSync(synsets, `${SYNSETS.join('\n')}\n`);

  // image 0: all 12 labels; image 1: a dog and a cat; image 2: one label, every model agrees with the original
  const pairs: Array<[number, number]> = [...SYNSETS.map((_, l): [number, number] => [0, l]), [1, 5], [1, 0], [2, 3]];
  const proposals = (extra: Record<string, NdArray> = {}, rows = pairs) => {
    const f = file(`p${Math.random().toString(36).slice(2)}.npz`);
    writeNpz(f, {
      image: ndarray(Int16Array.from(rows, (p) => p[0])),
      label: ndarray(Uint8Array.from(rows, (p) => p[1])), // any integer dtype
      ...extra,
    });
    return f;
  };
  const top1 = ndarray(Int32Array.from([1, 0, 3, 7, 5, 3]), [2, 3]);
  const original = ndarray(Int32Array.from([1, 5, 3]));

  it('splits along WordNet, skips images whose models all agree, and summarises with --json', async () => {
    const out = file('tasks.jsonl');
    const r = await cli(['tasks', '--proposals', proposals({ top1, original }), '--synsets', synsets, '--out', out, '--json']);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const s = JSON.parse(r.stdout);
    expect(s).toMatchObject({
      images: 3,
      rated_images: 2,
      unrated_images: 1,
      agreement_rule: true,
      rated_pairs: 14,
      tasks: 3,
      tasks_lower_bound: 3,
      tasks_per_image: { mean: 1.5, max: 2 },
      images_over_max_labels: 1,
    });
    expect(Object.keys(s.timings_ms)).toEqual(['read', 'hierarchy', 'split', 'coherence', 'write', 'total']);
    const lines = fs.readFileSync(out, 'utf8').trim().split('\n').map((l) => JSON.parse(l));
    expect(lines.map((t) => [t.task, t.image, t.labels.map((l: { label: number }) => l.label)])).toEqual([
      ['0-0', 0, [0, 1, 2, 3, 4, 5, 6, 7]], // dogs and cats (carnivores) together
      ['0-1', 0, [8, 9, 10, 11]], // the cars
      ['1-0', 1, [0, 5]],
    ]);
    expect(lines[2].labels[1]).toEqual({ label: 5, wnid: 'n02123045', name: 'tabby, tabby cat' });
  });

  it('rates every image without top1 and original', async () => {
    const r = await cli(['tasks', '--proposals', proposals(), '--synsets', synsets, '--out', file('all.jsonl'), '--json']);
    expect(JSON.parse(r.stdout)).toMatchObject({ images: 3, rated_images: 3, unrated_images: 0, agreement_rule: false, tasks: 4 });
  });

  it('writes one CSV row per task whose question ids map back to the pairs', async () => {
    const out = file('tasks.csv');
    const r = await cli(['tasks', '--proposals', proposals(), '--synsets', synsets, '--max-labels', '5', '--format', 'csv', '--out', out]);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/tasks for 3 rated images/);
    expect(r.stderr).toBe('');
    const rows: Record<string, string>[] = parse(fs.readFileSync(out, 'utf8'), { columns: true });
    expect(Object.keys(rows[0])).toEqual(['task', 'image', 'n_labels', ...[1, 2, 3, 4, 5].flatMap((i) => [`label_${i}`, `wnid_${i}`, `name_${i}`, `question_${i}`])]);
    expect(rows.map((row) => row.task)).toEqual(['0-0', '0-1', '0-2', '1-0', '2-0']); // 5 dogs | 3 cats | 4 cars
    const back: string[] = [];
    for (const row of rows) {
      for (let i = 1; i <= Number(row.n_labels); i++) {
        const q = parseQuestionId(row[`question_${i}`])!;
        expect(q).toEqual({ image: Number(row.image), label: Number(row[`label_${i}`]) });
        expect(row[`name_${i}`]).toBe(SYNSETS[q.label].slice(10));
        back.push(`${q.image}:${q.label}`);
      }
      expect(row[`label_${Number(row.n_labels) + 1}`] ?? '').toBe('');
    }
    expect(back.sort()).toEqual(pairs.map(([i, l]) => `${i}:${l}`).sort());
  });

  it('parses question ids in both forms', () => {
    expect(parseQuestionId('41206:556')).toEqual({ image: 41206, label: 556 });
    expect(parseQuestionId('ILSVRC2012_val_00041207.JPEG:556')).toEqual({ image: 41206, label: 556 });
    expect(parseQuestionId('ILSVRC2012_val_00000000.JPEG:1')).toBeNull();
    expect(parseQuestionId('41206-0')).toBeNull();
    expect(parseQuestionId('a:1')).toBeNull();
  });

  it('splits the published info layout (scores.npz) like image/label', async () => {
    const info = ndarray(pairs.flatMap(([i, l]) => [`ILSVRC2012_val_${String(i + 1).padStart(8, '0')}.JPEG`, String(l)]), [pairs.length, 2], 'U28');
    const f = file('scores.npz');
    writeNpz(f, { tensor: ndarray(new Float64Array(pairs.length)), info });
    const a = file('a.jsonl');
    const b = file('b.jsonl');
    await cli(['tasks', '--proposals', f, '--synsets', synsets, '--out', a]);
    await cli(['tasks', '--proposals', proposals(), '--synsets', synsets, '--out', b]);
    expect(fs.readFileSync(a, 'utf8')).toBe(fs.readFileSync(b, 'utf8'));
  });

  it('reports bad input with the file and the problem, writing nothing', async () => {
    const out = file('never.jsonl');
    const run = (p: string, s = synsets, extra: string[] = []) => cli(['tasks', '--proposals', p, '--synsets', s, '--out', out, ...extra]);
    const expectError = async (r: Promise<{ code: number; stderr: string }>, re: RegExp) => {
      const { code, stderr } = await r;
      expect(stderr).toMatch(re);
      expect(code).toBe(1);
    };
    const short = file('short.txt');
    fs.writeFileSync(short, `${SYNSETS.slice(0, 6).join('\n')}\n`);
    await expectError(run(proposals(), short), /pair 6: label 6 is outside the 6 classes listed in .*short\.txt/);
    await expectError(run(proposals(), synsets, ['--classes', '1000']), /synset\.txt: has 12 classes, expected 1000/);
    const badWnid = file('bad-wnid.txt');
    fs.writeFileSync(badWnid, `${SYNSETS.slice(0, 11).join('\n')}\nn02084072 not a synset\n`);
    await expectError(run(proposals(), badWnid), /bad-wnid\.txt: class 11 \(n02084072\) is not a WordNet 3\.0 noun synset/);
    await expectError(run(file('missing.npz')), /missing\.npz: no such file/);
    await expectError(run(proposals({}, [...pairs, [1, 5]])), /pair \(image 1, label 5\) appears twice/);
    await expectError(run(proposals({ top1, original: ndarray(Int32Array.from([1, 5])) })), /'top1' is \[2, 3\] but 'original' has 2 images/);
    await expectError(run(proposals({ original: ndarray(Int32Array.from([1, 5])) })), /image 2 is outside \[0, 2\)/);
    await expectError(run(proposals({ top1: ndarray(Int32Array.from([1, 0, 3])) })), /'top1' must be 2-D/);
    const noLabel = file('nolabel.npz');
    writeNpz(noLabel, { image: ndarray(Int32Array.from([0])) });
    await expectError(run(noLabel), /nolabel\.npz: has no array 'label'/);
    const floats = file('floats.npz');
    writeNpz(floats, { image: ndarray(Int32Array.from([0])), label: ndarray(Float32Array.from([1])) });
    await expectError(run(floats), /label must have an integer dtype/);
    expect(fs.existsSync(out)).toBe(false);
  });
});
