/**
 * `realabel serve`: the rating app; `serve raters add` and `serve export`
 * work on its database (also while the server runs: SQLite WAL).
 */
import { InvalidArgumentError, Option, type Command } from 'commander';
import { UsageError } from '../errors';
import { exportToFiles, EXPORT_FORMATS, type ExportFormat } from '../serve/export';
import { listen, parseAdaptive, parseBanBelow, parseDuration } from '../serve/cli-helpers';
import { createRatingServer } from '../serve/server';
import { addRater, getMeta, openDb } from '../serve/store';
import { action, examples, parseFloatArg, parseIntArg, printJson } from './common';

interface ServeOpts {
  tasks?: string;
  images?: string;
  synsets?: string;
  db?: string;
  imageList?: string;
  gold?: string;
  overlap: number;
  goldRate?: number;
  lease: number;
  defaultAnswer: 'none' | 'no';
  host: string;
  port: number;
  add?: boolean;
  allowMissing?: boolean;
  examples?: string;
  banBelow?: { accuracy: number; after: number };
  adaptive?: { min: number; max: number; band: [number, number] };
  url?: string;
  json?: boolean;
}

function wrap<T>(parse: (raw: string) => T) {
  return (raw: string): T => {
    try {
      return parse(raw);
    } catch (err) {
      throw new InvalidArgumentError((err as Error).message);
    }
  };
}

export function register(program: Command): void {
  const cmd = program
    .command('serve')
    .description('run the rating app: raters answer yes/maybe/no per label, with overlap, gold questions and rater quality')
    .option('--tasks <file>', 'tasks JSONL from `realabel tasks` (required the first time)')
    .option('--images <dir>', 'folder of the task images')
    .option('--synsets <file>', 'synset.txt: label names (synonyms and glosses from WordNet 3.0)')
    .option('--db <file>', 'ratings database (SQLite); a restart on it resumes')
    .option('--image-list <file>', 'image i is line i of this file (relative to --images); default ILSVRC2012_val_%08d.JPEG of i + 1')
    .option('--gold <file>', 'expert answers: golden.npz layout, or task,label / task,worker,label with IMAGE:LABEL ids')
    .option('--overlap <n>', 'raters per task', parseIntArg('--overlap', 1, 1000), 5)
    .option('--gold-rate <x>', 'share of a rater\'s tasks that are gold (default 0.1 with --gold)', parseFloatArg('--gold-rate', 0, 1))
    .option('--lease <time>', 'a task not submitted within this time goes back to the queue (e.g. 90s, 10m, 1h)', wrap(parseDuration), 600_000)
    .addOption(new Option('--default-answer <a>', 'none: every label must be answered; no: No pre-selected (the paper)').choices(['none', 'no']).default('none'))
    .option('--host <host>', 'address to bind', '127.0.0.1')
    .option('--port <n>', 'port (0 picks a free one)', parseIntArg('--port', 0, 65535), 8080)
    .option('--add', 'add the tasks of a tasks file that differs from the one imported before')
    .option('--allow-missing', 'skip tasks whose image is missing (and report them) instead of failing')
    .option('--examples <dir>', 'example images per label: DIR/<wnid>/*')
    .option('--ban-below <acc,n>', 'stop assigning to a rater whose gold accuracy is below ACC after N gold answers', wrap(parseBanBelow))
    .option('--adaptive <spec>', 'adaptive overlap, e.g. min=3,max=7,band=0.2-0.8', wrap(parseAdaptive))
    .option('--url <base>', 'public base URL of invite links (default http://HOST:PORT)')
    .option('--json', 'print {"url", "admin_token"} as one JSON line when ready');
  examples(cmd, [
    'realabel serve --tasks tasks.jsonl --images val/ --synsets synset.txt --db ratings.sqlite --gold golden.npz',
    'realabel serve raters add alice --db ratings.sqlite',
    'realabel serve export --db ratings.sqlite --format csv --out answers.csv --gold-out gold_answers.csv',
  ]);
  cmd.action(action(async (opts: ServeOpts) => run(opts)));

  const raters = cmd.command('raters').description('manage raters');
  raters
    .command('add <name>')
    .description('add a rater and print their invite link')
    .requiredOption('--db <file>', 'ratings database')
    .option('--url <base>', 'base URL of the link (default: the running server\'s)')
    .option('--json', 'print {"id", "name", "token", "url"}')
    .action(action(async (name: string, o: { db: string; url?: string; json?: boolean }) => {
      const db = openDb(o.db);
      try {
        const r = addRater(db, name);
        const base = (o.url ?? getMeta(db, 'url') ?? 'http://127.0.0.1:8080').replace(/\/$/, '');
        const url = `${base}/rate?token=${r.token}`;
        if (o.json) printJson({ id: r.id, name: r.name, token: r.token, url });
        else process.stdout.write(`${r.name}: ${url}\n`);
      } finally {
        db.close();
      }
    }));

  cmd
    .command('export')
    .description('export answers for `realabel aggregate` (csv, jsonl, raters-npz) or Label Studio')
    .requiredOption('--db <file>', 'ratings database')
    .addOption(new Option('--format <f>', 'output format').choices([...EXPORT_FORMATS]).makeOptionMandatory())
    .requiredOption('--out <file>', 'answers to the main questions')
    .option('--gold-out <file>', 'answers to the gold questions (left out without it)')
    .option('--include-banned', 'keep the answers of banned raters')
    .option('--json', 'print a JSON summary')
    .action(action(async (o: { db: string; format: ExportFormat; out: string; goldOut?: string; includeBanned?: boolean; json?: boolean }) => {
      const db = openDb(o.db, { readonly: true });
      try {
        const r = exportToFiles(db, { format: o.format, out: o.out, goldOut: o.goldOut, includeBanned: o.includeBanned });
        if (o.json) printJson(r);
        else process.stdout.write(`wrote ${r.answers} answers (${r.questions} questions, ${r.raters} raters)${o.goldOut ? ` and ${r.gold_answers} gold answers` : ''} to ${r.outputs.join(', ')}\n`);
      } finally {
        db.close();
      }
    }));
}

async function run(o: ServeOpts): Promise<void> {
  for (const [flag, v] of [['--images', o.images], ['--synsets', o.synsets], ['--db', o.db]] as const) {
    if (!v) throw new UsageError(`serve needs ${flag}`);
  }
  const app = await createRatingServer({
    db: o.db!, tasks: o.tasks, add: o.add, images: o.images!, imageList: o.imageList, synsets: o.synsets!, gold: o.gold,
    overlap: o.overlap, goldRate: o.goldRate, leaseMs: o.lease, defaultAnswer: o.defaultAnswer, allowMissing: o.allowMissing,
    examples: o.examples, banBelow: o.banBelow, adaptive: o.adaptive, publicUrl: o.url,
  });
  const { url, skipped } = await listen(app, o.host, o.port);
  const token = app.realabel.adminToken;
  if (o.json) process.stdout.write(`${JSON.stringify({ url, admin_token: token, skipped_tasks_images: skipped })}\n`);
  else {
    process.stdout.write(`realabel serve: ${url}\nadmin: ${url}/admin?token=${token}\nadmin token: ${token}\n`);
    if (skipped.length) process.stdout.write(`skipped the tasks of ${skipped.length} missing images (first: ${skipped.slice(0, 5).join(', ')})\n`);
    process.stdout.write(`add raters: realabel serve raters add NAME --db ${o.db}\n`);
  }
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
