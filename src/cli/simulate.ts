/** `realabel simulate`: simulated models' logits and original labels, for tests, benches and demos. */
import { InvalidArgumentError, type Command } from 'commander';
import { simulateFiles } from '../simulate/write';
import { Progress } from './progress';
import { action, examples, parseFloatArg, parseIntArg, printJson, workersOption } from './common';

interface Opts {
  images?: number;
  classes: number;
  models: number;
  truth?: string;
  seed: number;
  accuracy: number | [number, number];
  confidence: number;
  correlation: number;
  labelNoise: number;
  multiLabel: number;
  rowOffset: number;
  originalFit: number[] | number;
  workers: number;
  out: string;
  json?: boolean;
}

/** "0.5" (every model) or "0,0.5,0" (one value per model). */
function parseFit(raw: string): number | number[] {
  const parts = raw.split(',').map((s) => parseFloatArg('--original-fit', 0, 1e6)(s));
  return parts.length === 1 ? parts[0] : parts;
}

/** "0.8" or "0.6:0.85" (worst:best, spread over the models). */
function parseAccuracy(raw: string): number | [number, number] {
  const parts = raw.split(':').map((s) => parseFloatArg('--accuracy', 0, 1)(s));
  if (parts.length === 1) return parts[0];
  if (parts.length === 2) return [parts[0], parts[1]];
  throw new InvalidArgumentError(`--accuracy must be A or LO:HI, got '${raw}'`);
}

export function register(program: Command): void {
  const cmd = program
    .command('simulate')
    .description('write simulated models\' logits [N, C] (float32 .npy), original labels and their truth')
    .option('--images <n>', 'images N (default 1000, or all of --truth)', parseIntArg('--images', 1))
    .option('--classes <c>', 'classes C', parseIntArg('--classes', 1), 1000)
    .requiredOption('--models <m>', 'models M', parseIntArg('--models', 1, 4096))
    .option('--truth <file>', 'multi-label truth in real.json format (default: generated)')
    .option('--seed <s>', 'random seed', parseIntArg('--seed', 0), 0)
    .option('--accuracy <a>', 'top-1 accuracy against the truth: A, or LO:HI spread over the models', parseAccuracy, [0.6, 0.85])
    .option('--confidence <x>', 'logit scale (higher = peakier softmax)', parseFloatArg('--confidence', 1e-6, 1e6), 3)
    .option('--correlation <r>', 'noise correlation between models', parseFloatArg('--correlation', 0, 1), 0.5)
    .option('--label-noise <p>', 'probability that the original label is wrong', parseFloatArg('--label-noise', 0, 1), 0.05)
    .option('--multi-label <f>', 'generated truth: fraction of images with 2-3 labels', parseFloatArg('--multi-label', 0, 1), 0.15)
    .option('--row-offset <sd>', 'std of the per-image logit offset', parseFloatArg('--row-offset', 0, 1e6), 1)
    .option('--original-fit <f>', 'extra signal on the original label (models that learnt its quirks): F, or one value per model F1,F2,...', parseFit, 0)
    .requiredOption('--out <dir>', 'output directory (created when missing)')
    .option('--json', 'print a JSON summary on stdout');
  workersOption(cmd);
  examples(cmd, [
    'realabel simulate --images 5000 --classes 100 --models 5 --seed 1 --out sim/',
    'realabel simulate --truth real.json --classes 1000 --models 19 --accuracy 0.6:0.85 --out sim/',
  ]);
  cmd.action(
    action(async (opts: Opts) => {
      let bar: Progress | undefined;
      let shown = 0;
      const r = await simulateFiles({
        out: opts.out, images: opts.images, classes: opts.classes, models: opts.models, truth: opts.truth, seed: opts.seed,
        accuracy: opts.accuracy, confidence: opts.confidence, correlation: opts.correlation,
        labelNoise: opts.labelNoise, multiLabel: opts.multiLabel, rowOffset: opts.rowOffset, originalFit: opts.originalFit, workers: opts.workers,
        onProgress: (done, total) => {
          bar ??= new Progress('simulate', total, { json: opts.json });
          bar.tick(done - shown);
          shown = done;
        },
      });
      bar?.finish();
      if (opts.json) {
        printJson({ modelFiles: r.models, original: r.original, truth: r.truth, params: r.params, ...r.summary, timingsMs: r.timingsMs });
      } else {
        process.stdout.write(
          `${r.summary.models} models of [${r.summary.n}, ${r.summary.c}] -> ${r.dir} ` +
            `(original labels wrong on ${(100 * r.summary.original_error_rate).toFixed(2)}% of images)\n`,
        );
      }
    }),
  );
}
