/** `realabel cluster worker`: a worker process for the `--cluster` stages, until SIGTERM. */
import type { Command } from 'commander';
import { startWorker } from '../cluster/worker';
import { action, examples, parseIntArg } from './common';

interface Opts {
  redis: string;
  slots: number;
  lockMs: number;
}

export function register(program: Command): void {
  const cluster = program.command('cluster').description('workers for the --cluster stages (BullMQ on Redis; see docs/scale.md)');
  examples(cluster, ['realabel cluster worker --redis redis://10.0.0.5:6379']);
  const cmd = cluster
    .command('worker')
    .description('run a worker for topk/propose/aggregate/evaluate --cluster jobs until SIGTERM')
    .requiredOption('--redis <url>', 'the Redis the coordinators use, redis://HOST:PORT')
    .option('--slots <n>', 'jobs run at once', parseIntArg('--slots', 1, 1024), 1)
    .option('--lock-ms <ms>', "a job's lock; a dead worker's jobs are retried after about this long", parseIntArg('--lock-ms', 200, 3_600_000), 30000);
  cmd.action(action(run));
  examples(cmd, ['realabel cluster worker --redis redis://10.0.0.5:6379', 'realabel cluster worker --redis redis://127.0.0.1:6379 --slots 2']);
}

async function run(opts: Opts): Promise<void> {
  const w = await startWorker({ redis: opts.redis, slots: opts.slots, lockMs: opts.lockMs, log: (l) => process.stderr.write(`realabel: ${l}\n`) });
  // SIGTERM / SIGINT: finish the running jobs (or hand them back at the lock's end), then exit.
  const stop = () => void w.stop();
  process.once('SIGTERM', stop);
  process.once('SIGINT', stop);
  await w.closed;
  // Reconnect timers of a lost Redis must not keep a stopped worker alive.
  process.exit(process.exitCode ?? 0);
}
