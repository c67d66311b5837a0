/**
 * The CLI's commands, one module each, in the order `realabel --help` lists
 * them: the pipeline's order, then the helpers (logits, simulate, demo).
 * A module exports `register(program)`. Modules are loaded only when needed
 * (see `main.ts`), so `realabel --version` does not pay for the stages.
 */
import type { Command } from 'commander';
import { MissingPackageError } from '../errors';
import { isInstalled } from '../util/optional';

export type Register = (program: Command) => void;

export interface CommandEntry {
  name: string;
  load: () => Register;
  /** Optional peer dependencies the command's modules import: without them it is a stub that says so. */
  needs?: { packages: string[]; summary: string };
}

export const COMMANDS: CommandEntry[] = [
  { name: 'topk', load: () => require('./topk').register },
  { name: 'propose', load: () => require('./propose').register },
  { name: 'select-models', load: () => require('./select-models').register },
  { name: 'tasks', load: () => require('./tasks').register },
  {
    name: 'serve',
    load: () => require('./serve').register,
    needs: { packages: ['better-sqlite3', 'fastify'], summary: 'the rating app' },
  },
  { name: 'aggregate', load: () => require('./aggregate').register },
  { name: 'reproduce-real', load: () => require('./reproduce-real').register },
  { name: 'evaluate', load: () => require('./evaluate').register },
  { name: 'analyze', load: () => require('./analyze').register },
  { name: 'clean', load: () => require('./clean').register },
  { name: 'export', load: () => require('./export').register },
  { name: 'logits', load: () => require('./logits').register },
  { name: 'simulate', load: () => require('./simulate').register },
  { name: 'demo', load: () => require('./demo').register },
  { name: 'cluster', load: () => require('./cluster').register },
];

/**
 * `realabel NAME` when the packages the command needs are missing: every
 * argument is accepted, and running it fails with one line saying what to install.
 */
export function missingPackagesStub(entry: CommandEntry, missing: string[]): Register {
  return (program) =>
    program
      .command(entry.name)
      .summary(`${entry.needs?.summary ?? entry.name} (needs ${missing.join(' and ')})`)
      .argument('[args...]')
      .allowUnknownOption()
      .allowExcessArguments()
      .helpOption(false)
      .action(() => {
        throw new MissingPackageError(missing, `realabel ${entry.name}`);
      });
}

/** The entry's register function: its module, or a stub when packages it needs are missing. */
export function registerOf(entry: CommandEntry): Register {
  const missing = (entry.needs?.packages ?? []).filter((p) => !isInstalled(p));
  return missing.length > 0 ? missingPackagesStub(entry, missing) : entry.load();
}

/**
 * The commands an invocation needs: just the named one (`realabel topk ...`),
 * none for a bare `--version`, all of them otherwise (`--help`, `help`, an
 * unknown name, so that commander can list or suggest them).
 */
export function commandsFor(args: readonly string[]): CommandEntry[] {
  const first = args.find((a) => !a.startsWith('-'));
  if (first === undefined) return args.some((a) => a === '-V' || a === '--version') ? [] : COMMANDS;
  const named = COMMANDS.find((c) => c.name === first);
  return named ? [named] : COMMANDS;
}
