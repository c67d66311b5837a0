/** `realabel propose`: label proposals from several models' logits. */
import type { Command } from 'commander';
import { proposeFiles } from '../propose/propose';
import { Progress } from './progress';
import type { Backend } from '../native/addon';
import { action, backendOption, clusterOption, examples, parseIntArg, printJson, threadsOption, workersOption } from './common';

interface Opts {
  cluster?: string;
  logits: string[];
  original: string;
  k?: number;
  minVotes: number;
  workers: number;
  threads: number;
  backend: Backend;
  out: string;
  json?: boolean;
}

export function register(program: Command): void {
  const cmd = program
    .command('propose')
    .description('pool the top-K predictions of several models into (image, label) pairs to rate')
    .requiredOption('--logits <files...>', 'one logits .npy [N, C] per model (float)')
    .requiredOption('--original <file>', 'original labels .npy [N] (integer)')
    .option('--k <k>', 'pairs per model and criterion (default 3 * N)', parseIntArg('--k', 1))
    .option('--min-votes <v>', 'keep pairs proposed by at least this many sources', parseIntArg('--min-votes', 1), 2)
    .requiredOption('--out <file>', 'output proposals.npz')
    .option('--json', 'print a JSON summary on stdout');
  workersOption(cmd);
  threadsOption(cmd);
  backendOption(cmd);
  clusterOption(cmd);
  examples(cmd, ['realabel propose --logits a.npy b.npy c.npy --original original.npy --out proposals.npz --json']);
  cmd.action(action(run));
}

async function run(opts: Opts): Promise<void> {
  const bar = new Progress('propose', opts.logits.length, { json: opts.json });
  const r = await proposeFiles({ ...opts, onProgress: (done) => bar.update(done) });
  bar.finish();
  const { proposals: p, stats } = r;
  if (opts.json) {
    printJson({ out: opts.out, k: p.k, minVotes: p.minVotes, ...stats, timingsMs: r.timingsMs });
    return;
  }
  process.stdout.write(
    `${stats.P} proposals on ${stats.images} images from ${stats.models} models ` +
      `(${stats.proposalsPerImage.mean.toFixed(2)} per image, max ${stats.proposalsPerImage.max}); ` +
      `${stats.allTop1EqualOriginal} images where every model agrees with the original label -> ${opts.out}\n`,
  );
}
