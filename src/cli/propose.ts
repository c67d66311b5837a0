/** `realabel propose`: label proposals from several models' logits. */
import type { Command } from 'commander';
import { writeProposals } from '../propose/io';
import { checkOutputPath } from '../io/atomic';
import { proposalStats, proposeFiles } from '../propose/propose';
import { Progress } from '../util/progress';
import { now, since } from '../util/timer';
import type { Backend } from '../native/addon';
import { action, backendOption, examples, parseIntArg, printJson, threadsOption, workersOption } from './common';

interface Opts {
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
  examples(cmd, ['realabel propose --logits a.npy b.npy c.npy --original original.npy --out proposals.npz --json']);
  cmd.action(
    action(async (opts: Opts) => {
      checkOutputPath(opts.out);
      const bar = new Progress('propose', opts.logits.length, { json: opts.json });
      const { proposals, timings_ms } = await proposeFiles({
        logits: opts.logits, original: opts.original, k: opts.k, minVotes: opts.minVotes,
        workers: opts.workers, threads: opts.threads, backend: opts.backend, onModel: () => bar.tick(),
      });
      bar.finish();
      const t0 = now();
      writeProposals(opts.out, proposals);
      const write = since(t0);
      const stats = proposalStats(proposals);
      if (opts.json) {
        printJson({ out: opts.out, k: proposals.k, min_votes: proposals.minVotes, ...stats, timings_ms: { ...timings_ms, write } });
      } else {
        process.stdout.write(
          `${stats.P} proposals on ${stats.images} images from ${stats.models} models ` +
            `(${stats.proposals_per_image.mean.toFixed(2)} per image, max ${stats.proposals_per_image.max}); ` +
            `${stats.all_top1_equal_original} images where every model agrees with the original label -> ${opts.out}\n`,
        );
      }
    }),
  );
}
