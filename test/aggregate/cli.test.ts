/** `realabel aggregate` and `realabel reproduce-real` end to end: outputs, --json, exit codes, nothing left behind. */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { parse } from 'csv-parse/sync';
import { buildProgram } from '../../src/cli/main';
import { readLabelSets } from '../../src/io/labels';
import { writeNpy } from '../../src/io/npy';
import { readNpz } from '../../src/io/npz';
import { tmpDir } from '../helpers/tmp';

class Exit extends Error {
  constructor(readonly code: number) {
    super(`exit ${code}`);
  }
}

async function cli(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = '';
  let stderr = '';
  const out = jest.spyOn(process.stdout, 'write').mockImplementation((s) => ((stdout += String(s)), true));
  const err = jest.spyOn(process.stderr, 'write').mockImplementation((s) => ((stderr += String(s)), true));
  // Commander exits the process on a bad option value: catch that here.
  const exit = jest.spyOn(process, 'exit').mockImplementation((c) => {
    throw new Exit(Number(c ?? 0));
  });
  process.exitCode = 0;
  let exited: number | null = null;
  try {
    await buildProgram().parseAsync(['node', 'realabel', ...args]);
  } catch (e) {
    if (!(e instanceof Exit)) throw e;
    exited = e.code;
  } finally {
    out.mockRestore();
    err.mockRestore();
    exit.mockRestore();
  }
  const code = exited ?? Number(process.exitCode ?? 0);
  process.exitCode = 0;
  return { code, stdout, stderr };
}

describe('realabel aggregate', () => {
  const dir = tmpDir('realabel-agg-cli-');
  const file = (name: string) => path.join(dir, name);
  // Three workers rate (image, label) pairs; w3 always says yes.
  const rows = [
    ['0:1', 'w1', 'yes'], ['0:1', 'w2', 'yes'], ['0:1', 'w3', 'yes'],
    ['0:2', 'w1', 'no'], ['0:2', 'w2', 'maybe'], ['0:2', 'w3', 'yes'],
    ['1:2', 'w1', 'no'], ['1:2', 'w2', 'no'], ['1:2', 'w3', 'yes'],
    ['1:3', 'w1', 'yes'], ['1:3', 'w2', 'yes'], ['1:3', 'w3', 'yes'],
    ['3:0', 'w1', 'yes'], ['3:0', 'w2', 'no'], ['3:0', 'w3', 'yes'],
  ];
  const answers = file('answers.csv');
  fs.writeFileSync(answers, `task,worker,label\n${rows.map((r) => r.join(',')).join('\n')}\n`);
  const goldAnswers = file('gold.csv');
  fs.writeFileSync(goldAnswers, 'task,worker,label\n0:1,w1,yes\n0:1,w2,yes\n0:1,w3,yes\n0:2,w1,no\n0:2,w2,no\n0:2,w3,yes\n1:2,w1,no\n1:2,w2,maybe\n1:2,w3,yes\n');
  const goldTruth = file('truth.csv');
  fs.writeFileSync(goldTruth, 'task,label\n0:1,yes\n0:2,no\n1:2,no\n');
  const original = file('orig.npy');
  writeNpy(original, { dtype: 'i2', shape: [4], data: Int16Array.from([1, 2, 7, 0]) });
  const listing = () => fs.readdirSync(dir).sort();

  it('categorical DS on CSV writes task,label,confidence and prints --json with timings', async () => {
    const cat = file('cat.csv');
    fs.writeFileSync(cat, 'task,worker,label\nq1,a,cat\nq1,b,cat\nq1,c,dog\nq2,a,dog\nq2,b,dog\nq2,c,dog\nq3,a,bird\nq3,b,bird\nq3,c,cat\n');
    const r = await cli(['aggregate', '--answers', cat, '--method', 'ds', '--out', file('cat-out.csv'), '--json']);
    expect(r.code).toBe(0);
    const s = JSON.parse(r.stdout);
    expect(s).toMatchObject({ mode: 'categorical', method: 'ds', questions: 3, answers: 9, workers: 3 });
    expect(s.iterations).toBeGreaterThan(0);
    expect(s.log_likelihood_per_iteration.length).toBe(s.iterations);
    expect(Object.keys(s.timings_ms)).toEqual(['read', 'fit', 'write']);
    const out = parse(fs.readFileSync(file('cat-out.csv'), 'utf8'), { columns: true }) as Array<Record<string, string>>;
    expect(out.map((o: Record<string, string>) => [o.task, o.label])).toEqual([['q1', 'cat'], ['q2', 'dog'], ['q3', 'bird']]);
    for (const o of out) expect(Number(o.confidence)).toBeGreaterThan(0.3);
  });

  it('without --json prints a one-line summary on stdout, as every command does', async () => {
    const cat = file('cat2.csv');
    fs.writeFileSync(cat, 'task,worker,label\nq1,a,cat\nq1,b,cat\nq2,a,dog\nq2,b,dog\n');
    const r = await cli(['aggregate', '--answers', cat, '--method', 'mv', '--out', file('cat2-out.csv')]);
    expect(r.code).toBe(0);
    expect(r.stderr).toBe('');
    expect(r.stdout).toMatch(/^mv: 2 questions, 4 answers, 2 workers -> .*cat2-out\.csv\n$/);
  });

  it('verification gold scoring: scores npz with the task info, real.json, PR curve and target precision', async () => {
    const r = await cli([
      'aggregate', '--answers', answers, '--mode', 'verification', '--method', 'gold', '--gold-answers', goldAnswers, '--gold-truth', goldTruth,
      '--original', original, '--labels-out', file('real.json'), '--pr-curve', file('pr.csv'), '--target-precision', '1', '--out', file('scores.npz'), '--json',
    ]);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const s = JSON.parse(r.stdout);
    expect(s.gold).toEqual({ questions: 3, scored: 3, positives: 1 });
    expect(s.threshold_from).toBe('target-precision');
    const scores = readNpz(file('scores.npz'));
    expect(scores.tensor.dtype).toBe('f8');
    expect(scores.info.data).toEqual(['0:1', '0:2', '1:2', '1:3', '3:0']);
    const t = scores.tensor.data as Float64Array;
    // 0:1 (all yes) is the most likely label; 1:2 (w3's lone yes) the least.
    expect(t[0]).toBeGreaterThan(t[3] - 1e-12);
    expect(t[2]).toBeLessThan(t[0]);
    const pr = parse(fs.readFileSync(file('pr.csv'), 'utf8'), { columns: true }) as Array<Record<string, string>>;
    expect(pr.length).toBeGreaterThan(0);
    expect(s.threshold).toBe(Number(pr.find((p) => Number(p.precision) >= 1)!.threshold));
    const sets = readLabelSets(file('real.json'));
    expect(sets.length).toBe(4);
    expect(sets[2]).toEqual([7]); // unrated image keeps its original label
    expect(sets[0]).toContain(1);
  });

  it('gold truth from expert answers (CSV with a worker column) by the --gold-min-yes rule', async () => {
    const experts = file('experts.csv');
    // 0:1 has 2 of 3 yes, 0:2 has 1 of 3, 1:2 none.
    fs.writeFileSync(experts, 'task,worker,label\n0:1,e1,yes\n0:1,e2,yes\n0:1,e3,no\n0:2,e1,yes\n0:2,e2,no\n0:2,e3,no\n1:2,e1,no\n1:2,e2,no\n1:2,e3,no\n');
    const base = ['aggregate', '--answers', answers, '--mode', 'verification', '--method', 'gold', '--gold-answers', goldAnswers, '--gold-truth', experts, '--out', file('e.npz'), '--json'];
    const majority = JSON.parse((await cli(base)).stdout);
    expect(majority.gold.positives).toBe(1);
    const lenient = JSON.parse((await cli([...base, '--gold-min-yes', '1'])).stdout);
    expect(lenient.gold.positives).toBe(2);
  });

  it('--out is optional with --json (the summary only), required without it', async () => {
    const before = listing();
    const r = await cli(['aggregate', '--answers', answers, '--method', 'ds', '--json']);
    expect([r.code, r.stderr]).toEqual([0, '']);
    expect(JSON.parse(r.stdout)).toMatchObject({ mode: 'categorical', method: 'ds', outputs: [] });
    const bare = await cli(['aggregate', '--answers', answers, '--method', 'ds']);
    expect([bare.code, bare.stderr, bare.stdout]).toEqual([1, 'realabel: --out is required unless --json is given\n', '']);
    expect(listing()).toEqual(before);
  });

  it('--on-duplicate turns the duplicate error off', async () => {
    const dup = file('dup.csv');
    fs.writeFileSync(dup, 'task,worker,label\nt,a,x\nt,a,y\nt,b,y\n');
    const bad = await cli(['aggregate', '--answers', dup, '--method', 'mv', '--out', file('dup-out.csv')]);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toMatch(/dup\.csv: line 3: worker 'a' answered task 't' twice/);
    const ok = await cli(['aggregate', '--answers', dup, '--method', 'mv', '--on-duplicate', 'last', '--out', file('dup-out.csv')]);
    expect(ok.code).toBe(0);
    expect(fs.readFileSync(file('dup-out.csv'), 'utf8')).toBe('task,label,confidence\nt,y,1\n');
  });

  it('user errors exit 1 with one line and leave no output behind', async () => {
    const before = listing();
    const cases: Array<[string[], RegExp]> = [
      [['--answers', file('nope.csv'), '--method', 'ds', '--out', file('o.csv')], /nope\.csv: no such file/],
      [['--answers', answers, '--method', 'gold', '--out', file('o.npz'), '--mode', 'verification'], /--method gold needs --gold-answers and --gold-truth/],
      [['--answers', answers, '--method', 'ds', '--mode', 'verification', '--labels-out', file('o.json'), '--out', file('o.npz')], /--labels-out needs --original/],
      [['--answers', answers, '--method', 'ds', '--out', path.join(dir, 'no-such-dir', 'o.csv')], /the output folder does not exist/],
      [['--answers', answers, '--method', 'ds', '--mode', 'verification', '--alphabet', 'no,yes', '--out', file('o.npz')], /line 6: label 'maybe' is not in the alphabet \(no, yes\)/],
      [['--answers', answers, '--method', 'gold', '--mode', 'verification', '--gold-answers', goldAnswers, '--gold-truth', goldTruth, '--target-precision', '1.5', '--out', file('o.npz')], /--target-precision must be in \[0, 1\]/],
      [['--answers', answers, '--method', 'ds', '--max-iter', '-1', '--out', file('o.npz')], /--max-iter must be in/],
      [['--answers', answers, '--method', 'em', '--out', file('o.npz')], /Allowed choices are mv, ds, one-coin, gold/],
      [['--answers', answers, '--method', 'ds', '--stop', 'elbo', '--out', file('o.npz')], /--stop.*Allowed choices are log-likelihood, posterior/],
    ];
    const unknownGold = file('gold-unknown.csv');
    fs.writeFileSync(unknownGold, 'task,worker,label\n0:1,w1,yes\n0:1,w9,yes\n');
    cases.push([['--answers', answers, '--mode', 'verification', '--method', 'gold', '--gold-answers', unknownGold, '--gold-truth', goldTruth, '--out', file('o.npz')], /gold-unknown\.csv: line 3: worker 'w9' is not among the known workers/]);
    const partialTruth = file('truth-partial.csv');
    fs.writeFileSync(partialTruth, 'task,label\n0:1,yes\n0:2,no\n');
    cases.push([['--answers', answers, '--method', 'gold', '--mode', 'verification', '--gold-answers', goldAnswers, '--gold-truth', partialTruth, '--out', file('o.npz')], /gold\.csv: gold question '1:2' has no truth in .*truth-partial\.csv/]);
    const badTruth = file('truth-bad.csv');
    fs.writeFileSync(badTruth, 'task,label\n0:1,yes\n0:2,maybe\n');
    cases.push([['--answers', answers, '--method', 'gold', '--mode', 'verification', '--gold-answers', goldAnswers, '--gold-truth', badTruth, '--out', file('o.npz')], /truth-bad\.csv: line 3: truth 'maybe' is not one of no or yes/]);
    const badOrig = file('orig-short.npy');
    writeNpy(badOrig, { dtype: 'i2', shape: [2], data: Int16Array.from([1, 2]) });
    cases.push([['--answers', answers, '--mode', 'verification', '--method', 'mv', '--original', badOrig, '--labels-out', file('o.json'), '--out', file('o.npz')], /image index 3 is beyond the 2 original labels|beyond/]);
    for (const [args, msg] of cases) {
      const r = await cli(['aggregate', ...args]);
      expect([args.join(' '), r.code, r.stderr]).toEqual([args.join(' '), 1, expect.stringMatching(msg)]);
      expect(r.stderr).toMatch(msg);
      expect(r.stderr.trim().split('\n')).toHaveLength(r.stderr.includes('(add --help for usage)') ? 2 : 1);
      expect(r.stdout).toBe('');
    }
    expect(listing()).toEqual([...before, 'gold-unknown.csv', 'orig-short.npy', 'truth-bad.csv', 'truth-partial.csv'].sort());
  });

  it('reproduce-real refuses a file as output folder, or a missing data folder (exit 1, one line, no folder made)', async () => {
    let r = await cli(['reproduce-real', '--data', dir, '--original', original, '--out', answers]);
    expect(r.code).toBe(1);
    expect(r.stderr).toBe(`realabel: ${answers}: is a file, not a folder\n`);
    r = await cli(['reproduce-real', '--data', dir, '--original', original, '--out', path.join(answers, 'sub')]);
    expect(r.stderr).toBe(`realabel: ${path.join(answers, 'sub')}: cannot create the folder: ${answers} is a file\n`);
    const missing = path.join(dir, 'missing', 'out');
    r = await cli(['reproduce-real', '--data', path.join(dir, 'nothing-here'), '--original', original, '--out', missing]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/raters\.npz: no such file/);
    expect(fs.existsSync(path.join(dir, 'missing'))).toBe(false); // created only when the outputs are written
  });
});
