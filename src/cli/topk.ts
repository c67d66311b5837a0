/** `realabel topk`: the K largest entries of a logits matrix → pairs.npz (image, label, value). */
import { InvalidArgumentError, type Command } from 'commander';
import { topkFileSync, type Criterion } from '../topk/topk';
import type { Backend } from '../native/addon';
import { action, backendOption, examples, parseIntArg, printJson, threadsOption } from './common';

interface Opts {
  k: number;
  criterion: Criterion;
  out: string;
  json?: boolean;
  threads: number;
  backend: Backend;
}

function criterion(raw: string): Criterion {
  if (raw !== 'logit' && raw !== 'prob') throw new InvalidArgumentError(`--criterion must be logit or prob, got '${raw}'`);
  return raw;
}

export function register(program: Command): void {
  const cmd = program
    .command('topk')
    .summary('the K largest logits or probabilities of a whole matrix, as (image, label, value) pairs')
    .description(
      'select the K largest entries of a float [N, C] logits .npy over the whole matrix, best first ' +
        '(ties: lower image*C + label first), and write them to an .npz with image int32[K], label int32[K], value float32[K]',
    )
    .argument('<logits.npy>', 'float16/32/64 matrix [N, C], streamed in row chunks')
    .requiredOption('--k <K>', 'number of entries to select (1 <= K <= N*C)', parseIntArg('--k', 1))
    .option('--criterion <logit|prob>', 'rank raw logits, or per-row softmax probabilities (logit - logsumexp(row))', criterion, 'logit')
    .requiredOption('--out <pairs.npz>', 'output .npz (written atomically)')
    .option('--json', 'print one JSON object with k, n, c, criterion and timings_ms {read, select, write}');
  threadsOption(cmd);
  backendOption(cmd);
  examples(cmd, [
    'realabel topk logits.npy --k 150000 --out pairs.npz',
    'realabel topk logits.npy --k 150000 --criterion prob --out pairs.npz --json',
  ]);
  cmd.action(
    action((file: string, o: Opts) => {
      // The streaming reader on the calling thread: one reused chunk buffer (docs/io.md); the CLI has no event loop to keep free.
      const res = topkFileSync(file, o.k, { criterion: o.criterion, threads: o.threads, backend: o.backend, out: o.out });
      if (o.json) {
        printJson({ file, out: o.out, k: o.k, n: res.n, c: res.c, criterion: o.criterion, threads: o.threads, timingsMs: res.timingsMs });
      } else {
        process.stdout.write(
          `wrote ${o.out}: the ${o.k} largest ${o.criterion === 'prob' ? 'probabilities' : 'logits'} of [${res.n}, ${res.c}]\n`,
        );
      }
    }),
  );
}
