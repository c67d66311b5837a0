/** `realabel tasks`: split the proposals into rating tasks along WordNet. */
import { Option, type Command } from 'commander';
import { tasksFiles } from '../tasks/files';
import { action, examples, parseIntArg, printJson } from './common';

interface Opts {
  proposals: string;
  synsets: string;
  classes?: number;
  maxLabels: number;
  format: 'jsonl' | 'csv';
  out: string;
  json?: boolean;
}

export function register(program: Command): void {
  const cmd = program
    .command('tasks')
    .description('group the proposed (image, label) pairs into rating tasks of related labels (WordNet 3.0)')
    .requiredOption('--proposals <file>', 'proposals.npz: image, label [, top1, original]; or the published info layout')
    .requiredOption('--synsets <file>', 'synset.txt: one "wnid name" line per class, in label order')
    .option('--classes <n>', 'expected number of classes (checks the synset file)', parseIntArg('--classes', 1))
    .option('--max-labels <n>', 'at most this many labels per task', parseIntArg('--max-labels', 1, 1000), 8)
    .addOption(new Option('--format <fmt>', 'output format').choices(['jsonl', 'csv']).default('jsonl'))
    .requiredOption('--out <file>', 'tasks file to write')
    .option('--json', 'print a JSON summary on stdout')
    .action(action(run));
  examples(cmd, [
    'realabel tasks --proposals proposals.npz --synsets synset.txt --out tasks.jsonl --json',
    'realabel tasks --proposals proposals.npz --synsets synset.txt --format csv --out tasks.csv',
  ]);
}

async function run(opts: Opts): Promise<void> {
  const r = await tasksFiles(opts);
  const s = r.summary;
  if (opts.json) {
    const { timingsMs: _stages, ...summary } = s;
    printJson({ ...summary, out: opts.out, format: r.format, timingsMs: r.timingsMs });
  } else {
    process.stdout.write(`${s.tasks} tasks for ${s.ratedImages} rated images (${s.unratedImages} unrated keep their original label) -> ${opts.out}\n`);
  }
}
