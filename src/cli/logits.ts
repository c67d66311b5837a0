/** `realabel logits`: an ONNX classifier over an image folder or list → logits.npy. */
import { InvalidArgumentError, type Command } from 'commander';
import { InterruptedError, logits } from '../logits/logits';
import { Progress } from './progress';
import { action, withFlags, examples, parseIntArg, printJson, workersOption } from './common';

interface Opts {
  model: string;
  images: string;
  out: string;
  inputSize: number;
  resize: number;
  mean?: number[];
  std?: number[];
  layout: 'nchw' | 'nhwc';
  batch?: number;
  workers: number;
  intraOpThreads: number;
  classes?: number;
  inputName?: string;
  outputName?: string;
  resume?: boolean;
  skipBad?: boolean;
  json?: boolean;
}

function triple(name: string) {
  return (raw: string): number[] => {
    const parts = raw.split(',').map((s) => s.trim());
    const v = parts.map(Number);
    if (parts.length !== 3 || parts.some((s) => s === '') || !v.every(Number.isFinite)) {
      throw new InvalidArgumentError(`${name} must be three numbers r,g,b, got '${raw}'`);
    }
    return v;
  };
}

function layout(raw: string): 'nchw' | 'nhwc' {
  const v = raw.toLowerCase();
  if (v !== 'nchw' && v !== 'nhwc') throw new InvalidArgumentError(`--layout must be nchw or nhwc, got '${raw}'`);
  return v;
}

export function register(program: Command): void {
  const cmd = program
    .command('logits')
    .description('run an ONNX image classifier over a folder or list of images and write float32 logits [N, classes]')
    .requiredOption('--model <file>', 'ONNX model (float32 input [N,3,H,W] or [N,H,W,3], output [N, classes])')
    .requiredOption('--images <dir|list>', 'image folder (JPEG/PNG/WebP, recursive, rows in sorted path order) or a text file with one path per line')
    .requiredOption('--out <file>', 'output .npy; the row order is written to <out>.files.txt')
    .option('--input-size <n>', 'center-crop side fed to the model', parseIntArg('--input-size', 1, 8192), 224)
    .option('--resize <n>', 'resize the shorter side to this before cropping', parseIntArg('--resize', 1, 16384), 256)
    .option('--mean <r,g,b>', 'per-channel mean after scaling to [0,1] (default ImageNet 0.485,0.456,0.406)', triple('--mean'))
    .option('--std <r,g,b>', 'per-channel std (default ImageNet 0.229,0.224,0.225)', triple('--std'))
    .option('--layout <nchw|nhwc>', 'model input layout', layout, 'nchw')
    .option('--batch <n>', 'images per inference call (default 32, or the model\'s fixed batch size)', parseIntArg('--batch', 1, 65536))
    .option('--intra-op-threads <n>', 'onnxruntime threads inside each worker', parseIntArg('--intra-op-threads', 1, 256), 1)
    .option('--classes <k>', 'expected number of classes (checked against the model output)', parseIntArg('--classes', 1, 1 << 24))
    .option('--input-name <name>', 'model input to feed (default: its only input)')
    .option('--output-name <name>', 'model output to read (default: its first output)')
    .option('--resume', 'continue an interrupted run from <out>.partial (same model, images and options)')
    .option('--skip-bad', 'unreadable images get NaN rows and are listed in <out>.skipped.txt instead of stopping the run')
    .option('--json', 'print a JSON summary on stdout');
  workersOption(cmd);
  examples(cmd, [
    'realabel logits --model resnet50.onnx --images val/ --out resnet50.npy',
    'realabel logits --model vit.onnx --images list.txt --out vit.npy --mean 0.5,0.5,0.5 --std 0.5,0.5,0.5 --resume',
  ]);
  cmd.action(
    action(async (o: Opts) => {
      // libvips prints decoder warnings on stderr; the CLI reports bad images itself. Set before the
      // worker threads start (they copy this environment), never by the library (a host's choice).
      process.env.VIPS_WARNING ??= '0';
      const controller = new AbortController();
      // First Ctrl-C (or SIGTERM) stops between chunks, so the partial output and its state stay
      // consistent for --resume; a second one exits at once (--resume still works: rows past the
      // recorded state are discarded).
      const onSignal = (): void => {
        if (controller.signal.aborted) process.exit(130);
        controller.abort();
      };
      process.on('SIGINT', onSignal);
      process.on('SIGTERM', onSignal);
      let bar: Progress | undefined;
      try {
        const res = await logits({
          model: o.model,
          images: o.images,
          out: o.out,
          inputSize: o.inputSize,
          resize: o.resize,
          mean: o.mean,
          std: o.std,
          layout: o.layout,
          batch: o.batch,
          workers: o.workers,
          intraOpThreads: o.intraOpThreads,
          classes: o.classes,
          inputName: o.inputName,
          outputName: o.outputName,
          resume: o.resume,
          skipBad: o.skipBad,
          onProgress: (done, rows) => {
            bar ??= new Progress('logits', rows, { json: o.json });
            bar.update(done);
          },
          signal: controller.signal,
        });
        bar?.finish();
        if (o.json) printJson(res);
        else summary(res);
      } catch (err) {
        if (!(err instanceof InterruptedError)) throw err;
        process.stderr.write(`realabel: ${withFlags(err.message, new Map([['resume', '--resume']]))}\n`);
        process.exitCode = 130;
      } finally {
        process.off('SIGINT', onSignal);
        process.off('SIGTERM', onSignal);
      }
    }),
  );
}

function summary(res: Awaited<ReturnType<typeof logits>>): void {
  const lines = [
    `wrote ${res.out}: float32 [${res.images}, ${res.classes}] (${res.imagesPerSecond} images/s, ${res.workers} worker(s), batch ${res.batch})`,
    `row order: ${res.filesList}`,
  ];
  if (res.resumedFrom > 0) lines.push(`resumed after ${res.resumedFrom} rows`);
  if (res.skippedList) lines.push(`skipped ${res.skipped.length} unreadable image(s) (NaN rows): ${res.skippedList}`);
  process.stdout.write(`${lines.join('\n')}\n`);
}
