/** `realabel export`: label sets as multi-hot targets (.npy) or JSON lines. */
import { Option, type Command } from 'commander';
import type { ExportFormat } from '../export/export';
import { exportLabelsFiles } from '../export/files';
import { action, examples, parseIntArg, printJson } from './common';

interface Opts {
  labels: string;
  format: ExportFormat;
  out: string;
  classes: number;
  synsets?: string;
  json?: boolean;
}

export function register(program: Command): void {
  const cmd = program
    .command('export')
    .description('export label sets as N x C uint8 multi-hot targets (.npy) or JSON lines')
    .requiredOption('--labels <file>', 'label sets (real.json format)')
    .addOption(new Option('--format <format>', 'multihot (N x C uint8 .npy) or jsonl').choices(['multihot', 'jsonl']).makeOptionMandatory())
    .requiredOption('--out <file>', 'output file')
    .option('--classes <n>', 'number of classes C; a label >= C is an error', parseIntArg('--classes', 1, 1 << 24), 1000)
    .option('--synsets <file>', 'synset.txt: add class names to jsonl')
    .option('--json', 'print a summary as JSON');
  examples(cmd, [
    'realabel export --labels real.json --format multihot --out real_multihot.npy',
    'realabel export --labels real.json --format jsonl --synsets synset.txt --out real.jsonl',
  ]);
  cmd.action(action(run, { numClasses: '--classes' }));
}

async function run(opts: Opts): Promise<void> {
  const r = await exportLabelsFiles({ labels: opts.labels, format: opts.format, out: opts.out, numClasses: opts.classes, synsets: opts.synsets });
  if (opts.json) printJson(r);
  else process.stdout.write(`wrote ${r.n} label sets (${r.labels} labels) as ${r.format} to ${r.out}\n`);
}
