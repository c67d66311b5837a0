/** `realabel select-models`: the subset of models whose pooled proposals best fit expert gold answers. */
import { InvalidArgumentError, type Command } from 'commander';
import { selectModelsFiles } from '../subsets/files';
import type { SubsetReport } from '../subsets/subsets';
import { action, examples, parseFloatArg, parseIntArg, printJson, threadsOption } from './common';

interface Opts {
  proposals: string;
  gold: string;
  recall: number;
  minYes: number;
  minVotes?: number;
  unknown: 'negative' | 'ignore';
  search: 'auto' | 'exhaustive' | 'greedy';
  pareto?: string;
  threads: number;
  json?: boolean;
}

function oneOf<T extends string>(name: string, values: readonly T[]) {
  return (raw: string): T => {
    if (!(values as readonly string[]).includes(raw)) throw new InvalidArgumentError(`${name} must be one of ${values.join(', ')}`);
    return raw as T;
  };
}

function line(label: string, s: SubsetReport): string {
  return (
    `${label}: precision ${s.precision.toFixed(4)}, recall ${s.recall.toFixed(4)}, ` +
    `${s.proposals_per_image.toFixed(2)} proposals per image, ${s.models.length} models (${s.models.join(', ')})`
  );
}

export function register(program: Command): void {
  const cmd = program
    .command('select-models')
    .description('find the subset of models whose pooled proposals reach the target recall on gold answers with the best precision')
    .requiredOption('--proposals <file>', 'proposals.npz from `realabel propose`')
    .requiredOption('--gold <file>', 'expert answers (golden.npz layout: tensor [R, Q, 3], info [Q, 2])')
    .option('--recall <r>', 'target recall', parseFloatArg('--recall', 0, 1), 0.97)
    .option('--min-yes <n>', 'experts saying yes for a gold positive', parseIntArg('--min-yes', 1), 3)
    .option('--min-votes <v>', "votes to keep a pair (default: the proposals' min_votes)", parseIntArg('--min-votes', 1))
    .option('--unknown <how>', 'proposed pairs outside the gold questions: negative (count against precision) or ignore',
      oneOf('--unknown', ['negative', 'ignore'] as const), 'negative')
    .option('--search <how>', 'auto (exhaustive up to 24 models, else greedy), exhaustive or greedy',
      oneOf('--search', ['auto', 'exhaustive', 'greedy'] as const), 'auto')
    .option('--pareto <file>', 'write the precision/recall Pareto front as CSV')
    .option('--json', 'print the result as JSON on stdout');
  threadsOption(cmd);
  examples(cmd, ['realabel select-models --proposals proposals.npz --gold golden.npz --recall 0.97 --pareto pareto.csv --json']);
  cmd.action(action(run, { paretoOut: '--pareto' }));
}

async function run(opts: Opts): Promise<void> {
  const { result, timingsMs } = await selectModelsFiles({ ...opts, paretoOut: opts.pareto });
  if (opts.json) {
    printJson({ ...result, timingsMs });
    return;
  }
  const out = [
    `${result.search} search over ${result.subsets_evaluated} subsets; gold: ${result.gold.images} images, ` +
      `${result.gold.questions} questions, ${result.gold.positives} positives (${result.gold.proposable_positives} proposable)`,
    result.best ? line('best', result.best) : `no subset reaches recall ${opts.recall} (max ${result.max_recall.toFixed(4)})`,
    line('all models', result.all_models),
    `Pareto front: ${result.pareto.length} subsets${opts.pareto ? ` -> ${opts.pareto}` : ''}`,
  ];
  process.stdout.write(`${out.join('\n')}\n`);
}
