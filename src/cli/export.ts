/** `realabel export`: label sets as multi-hot targets (.npy) or JSON lines. */
import { Option, type Command } from 'commander';
import { exportLabels, type ExportFormat } from '../export/export';
import { writeFileAtomicSync } from '../io/atomic';
import { readLabelSets } from '../io/labels';
import { writeNpy } from '../io/npy';
import { readSynsets } from '../io/synsets';
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
  cmd.action(action(async (opts: Opts) => run(opts)));
}

function run(opts: Opts): void {
  const sets = readLabelSets(opts.labels, { numClasses: opts.classes });
  const names = opts.synsets ? readSynsets(opts.synsets, { expected: opts.classes }).map((s) => s.name) : undefined;
  const r = exportLabels({ labels: sets, format: opts.format, numClasses: opts.classes, names, file: opts.labels });
  if (r.format === 'multihot') writeNpy(opts.out, { dtype: 'u1', shape: r.shape, data: r.data });
  else writeFileAtomicSync(opts.out, r.text);
  const info = { out: opts.out, format: opts.format, n: sets.length, num_classes: opts.classes, labels: sets.reduce((s, x) => s + x.length, 0) };
  if (opts.json) printJson(info);
  else process.stdout.write(`wrote ${info.n} label sets (${info.labels} labels) as ${opts.format} to ${opts.out}\n`);
}
