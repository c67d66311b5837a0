/** `realabel aggregate`: crowd answers → posteriors (mv, ds, one-coin, gold), label sets, operating point. */
import { InvalidArgumentError, Option, type Command } from 'commander';
import { UsageError } from '../errors';
import type { AggregateOptions, PseudoRaterSpec } from '../aggregate/aggregate';
import { STOP_RULES, type StopRule } from '../aggregate/em-stop';
import { aggregateFiles } from '../aggregate/files';
import type { Backend } from '../native/addon';
import { action, backendOption, clusterOption, examples, parseFloatArg, parseIntArg, printJson, threadsOption } from './common';

interface Opts {
  answers: string;
  method: AggregateOptions['method'];
  mode?: 'verification' | 'categorical';
  alphabet?: string[];
  onDuplicate: 'error' | 'first' | 'last';
  maxIter: number;
  stop: StopRule;
  tol?: number;
  smoothing?: number;
  goldAnswers?: string;
  goldTruth?: string;
  goldMinYes?: number;
  pseudoRater: PseudoRaterSpec[];
  threshold: number;
  targetPrecision?: number;
  original?: string;
  labelsOut?: string;
  prCurve?: string;
  out?: string;
  probsOut?: string;
  json?: boolean;
  threads: number;
  backend: Backend;
  cluster?: string;
}

export function register(program: Command): void {
  const cmd = program
    .command('aggregate')
    .description('aggregate crowd answers into posteriors: majority vote, Dawid–Skene, one-coin or gold-calibrated scoring')
    .requiredOption('--answers <file>', 'answers: raters.npz layout, or CSV/JSONL with task, worker, label')
    .addOption(new Option('--method <m>', 'aggregation method').choices(['mv', 'ds', 'one-coin', 'gold']).makeOptionMandatory())
    .addOption(new Option('--mode <mode>', 'verification (truth present/absent; default for .npz) or categorical (default for CSV/JSONL)').choices(['verification', 'categorical']))
    .option('--alphabet <values>', 'answer values, comma-separated (verification: ordered from no to yes; default no,maybe,yes)', parseList)
    .addOption(new Option('--on-duplicate <policy>', 'a worker answering a task twice: error, or keep the first / last answer').choices(['error', 'first', 'last']).default('error'))
    .option('--max-iter <n>', 'EM iterations at most', parseIntArg('--max-iter', 0, 100_000_000), 500)
    .addOption(new Option('--stop <rule>', 'when EM stops early: the log-likelihood gains less than --tol per answer (as crowd-kit), or the largest posterior change is below --tol').choices([...STOP_RULES]).default('log-likelihood'))
    .option('--tol <x>', 'the stopping rule\'s tolerance (default 1e-5 for log-likelihood, 1e-7 for posterior; 0: run --max-iter iterations)', parseFloatArg('--tol', 0))
    .option('--smoothing <s>', 'additive smoothing of confusion counts (default 0 for ds/one-coin, 1 for gold)', parseFloatArg('--smoothing', 0))
    .option('--gold-answers <file>', 'crowd answers on the gold questions (same layout as --answers)')
    .option('--gold-truth <file>', 'gold truth: expert answers (npz or CSV/JSONL with worker) or a task,label table')
    .option('--gold-min-yes <n>', 'expert majority rule: present when at least N experts said yes (default: a strict majority)', parseIntArg('--gold-min-yes', 1))
    .option('--pseudo-rater <spec>', 'gold: a rule answering like a worker, e.g. original-label,classes=0-397,gold-min-yes=2 (repeatable)', parsePseudo, [])
    .option('--threshold <x>', 'score threshold for --labels-out', parseFloatArg('--threshold', 0, 1), 0.8)
    .option('--target-precision <p>', 'use the lowest threshold reaching this precision on the gold questions', parseFloatArg('--target-precision', 0, 1))
    .option('--original <file>', 'original labels (.npy), kept by images without rated pairs')
    .option('--labels-out <file>', 'verification: also write label sets in the real.json format')
    .option('--pr-curve <file>', 'write precision and recall against the gold truth for every threshold (CSV)')
    .option('--out <file>', 'verification: scores .npz (tensor, info); categorical: CSV (or .npz) task,label,confidence (optional with --json)')
    .option('--probs-out <file>', 'the full posterior: CSV with task and one column per label, or .npz (task, label, probs)')
    .option('--json', 'print a JSON summary on stdout');
  backendOption(cmd);
  threadsOption(cmd);
  clusterOption(cmd);
  cmd.action(action(run, { pseudoRaters: '--pseudo-rater' }));
  examples(cmd, [
    'realabel aggregate --answers raters.npz --method ds --out scores.npz --original orig.npy --labels-out real.json --json',
    'realabel aggregate --answers raters.npz --method gold --gold-answers raters_golden.npz --gold-truth golden.npz --gold-min-yes 3 --pseudo-rater original-label,classes=0-397,gold-min-yes=2 --original orig.npy --out scores.npz --pr-curve pr.csv',
    'realabel aggregate --answers answers.csv --method ds --out labels.csv',
  ]);
}

function parseList(raw: string): string[] {
  const list = raw.split(',').map((s) => s.trim());
  if (list.some((s) => s === '') || new Set(list).size !== list.length) throw new InvalidArgumentError(`--alphabet needs distinct non-empty values, got '${raw}'`);
  return list;
}

function parsePseudo(raw: string, prev: PseudoRaterSpec[]): PseudoRaterSpec[] {
  const [rule, ...kv] = raw.split(',').map((s) => s.trim());
  if (rule !== 'original-label') throw new InvalidArgumentError(`--pseudo-rater: unknown rule '${rule}' (known: original-label)`);
  const spec: PseudoRaterSpec = { rule };
  for (const item of kv) {
    const m = /^(classes)=(\d+)-(\d+)$/.exec(item) ?? /^(gold-min-yes)=(\d+)$/.exec(item);
    if (!m) throw new InvalidArgumentError(`--pseudo-rater: bad setting '${item}' (use classes=LO-HI, gold-min-yes=N)`);
    if (m[1] === 'classes') spec.classes = [Number(m[2]), Number(m[3]) + 1];
    else spec.goldMinYes = Number(m[2]);
  }
  return [...prev, spec];
}

async function run(opts: Opts): Promise<void> {
  if (!opts.out && !opts.json) throw new UsageError('--out is required unless --json is given');
  const r = await aggregateFiles({ ...opts, pseudoRaters: opts.pseudoRater, threads: opts.threads, backend: opts.backend });
  if (opts.json) {
    const { posterior: _p, classes: _c, sets: _s, prPoints: _pr, ...summary } = r;
    printJson(summary);
  } else {
    const it = r.method === 'ds' || r.method === 'one-coin' ? `, ${r.iterations} iterations${r.converged ? '' : ' (not converged)'}` : '';
    process.stdout.write(`${r.method}: ${r.questions} questions, ${r.answers} answers, ${r.workers} workers${it} -> ${r.outputs.join(', ')}\n`);
  }
}
