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
  serve?: boolean;
  port: number;
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
    .option('--json', 'print the summary as JSON on stdout (no progress bar)')
    .option('--serve', 'then start the rating app on the first 100 tasks, with generated images (Ctrl-C stops it)')
    .option('--port <n>', 'port of the rating app with --serve (0 picks a free one)', parseIntArg('--port', 0, 65535), 8080);
  workersOption(cmd);
  threadsOption(cmd);
  examples(cmd, [
    'realabel demo',
    'realabel demo --out /tmp/demo --images 5000 --classes 100 --models 6 --seed 1',
    'realabel demo --json > summary.json',
    'realabel demo --images 2000 --serve',
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
      if (opts.serve) await serveDemo(opts.out, opts.port);
    }),
  );
}

/** `--serve`: the rating app on the demo's tasks; prints a rater's link and the admin page. */
async function serveDemo(out: string, port: number): Promise<void> {
  const { demoProject } = await import('../serve/demo-project');
  const { createRatingServer } = await import('../serve/server');
  const { listen } = await import('../serve/cli-helpers');
  const { addRater } = await import('../serve/store');
  const p = await demoProject(out);
  const app = await createRatingServer({ db: `${p.dir}/ratings.sqlite`, tasks: p.tasks, images: p.images, synsets: p.synsets, gold: p.gold, add: true });
  const { url } = await listen(app, '127.0.0.1', port);
  const rater = addRater(app.realabel.db, `demo-${Date.now()}`);
  process.stdout.write(`\nrating app: ${url}\n  rate:  ${url}/rate?token=${rater.token}\n  admin: ${url}/admin?token=${app.realabel.adminToken}\nCtrl-C stops it.\n`);
  await new Promise<void>((resolve) => {
    const stop = () => {
      process.off('SIGINT', stop);
      process.off('SIGTERM', stop);
      app.close().then(() => resolve(), () => resolve());
    };
    process.on('SIGINT', stop);
    process.on('SIGTERM', stop);
  });
}
