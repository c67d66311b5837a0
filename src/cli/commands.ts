/**
 * The CLI's commands, one module each, in the order `realabel --help` lists
 * them: the pipeline's order, then the helpers (logits, simulate, demo).
 * A module exports `register(program)`. Modules are loaded only when needed
 * (see `main.ts`), so `realabel --version` does not pay for the stages.
 */
import type { Command } from 'commander';

export type Register = (program: Command) => void;

export interface CommandEntry {
  name: string;
  load: () => Register;
}

export const COMMANDS: CommandEntry[] = [
  { name: 'topk', load: () => require('./topk').register },
  { name: 'propose', load: () => require('./propose').register },
  { name: 'select-models', load: () => require('./select-models').register },
  { name: 'tasks', load: () => require('./tasks').register },
  { name: 'serve', load: () => require('./serve').register },
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
