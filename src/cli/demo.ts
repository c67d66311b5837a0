/** `realabel demo`: every stage on a simulated benchmark, with a summary. */
import type { Command } from 'commander';
import { demo, DEMO_DEFAULTS, STAGES } from '../demo/demo';
import { formatSummary } from '../demo/format';
import { Progress } from './progress';
import { action, examples, parseIntArg, printJson, threadsOption, workersOption } from './common';

interface Opts {
  out: string;
  images: number;
  classes: number;
  models: number;
  seed: number;
  workers: number;
  threads: number;
  json?: boolean;
}

export function register(program: Command): void {
  const cmd = program
    .command('demo')
    .description('run every stage on a simulated benchmark (simulate, propose, select-models, tasks, simulated raters, aggregate, evaluate, analyze) and summarize')
    .option('--out <dir>', 'output folder for every stage\'s files', DEMO_DEFAULTS.out)
    .option('--images <n>', 'simulated images', parseIntArg('--images', 100, 2_000_000), DEMO_DEFAULTS.images)
    .option('--classes <c>', 'classes (real WordNet synsets)', parseIntArg('--classes', 10, 5000), DEMO_DEFAULTS.classes)
    .option('--models <m>', 'simulated models', parseIntArg('--models', 2, 24), DEMO_DEFAULTS.models)
    .option('--seed <s>', 'random seed (the same seed gives the same files)', parseIntArg('--seed', 0, 2 ** 31 - 1), DEMO_DEFAULTS.seed)
    .option('--json', 'print the summary as JSON on stdout (no progress bar)');
  workersOption(cmd);
  threadsOption(cmd);
  examples(cmd, [
    'realabel demo',
    'realabel demo --out /tmp/demo --images 5000 --classes 100 --models 6 --seed 1',
    'realabel demo --json > summary.json',
  ]);
  cmd.action(
    action(async (opts: Opts) => {
      const bar = new Progress('demo', STAGES.length, { json: opts.json });
      let started = 0;
      const result = await demo({
        out: opts.out, images: opts.images, classes: opts.classes, models: opts.models, seed: opts.seed,
        workers: opts.workers, threads: opts.threads,
        onStage: (_stage, index) => {
          bar.tick(index - started);
          started = index;
        },
      });
      bar.tick(STAGES.length - started);
      bar.finish();
      if (opts.json) printJson(result);
      else process.stdout.write(formatSummary(result));
    }),
  );
}
