/** The `realabel` command line. */
import { Command } from 'commander';
import { COMMANDS, commandsFor } from './commands';
import { quietOnClosedOutput, reportError } from './common';

/**
 * The program with every command, or, given the arguments (without node and
 * the script), only the commands they need: start-up then loads no stage
 * module that the invocation does not use. `setup` configures the program
 * before its commands are added (in-process runs: exitOverride, output).
 */
export function buildProgram(args?: readonly string[], setup?: (program: Command) => void): Command {
  const program = new Command('realabel')
    .description('Reassessed multi-label ground truth (ReaL) for image-classification benchmarks')
    .version(require('../../package.json').version)
    .configureOutput({
      outputError: (str, write) => write(`realabel: ${str.replace(/^error: /, '').trim()}\n`),
    });
  // Options belong to the command they follow (`serve --db` and `serve export --db` are different flags).
  program.enablePositionalOptions();
  // Before the commands: they copy the program's settings when created.
  setup?.(program);
  for (const entry of args ? commandsFor(args) : COMMANDS) entry.load()(program);
  return program;
}

export async function main(argv: string[] = process.argv): Promise<void> {
  quietOnClosedOutput();
  try {
    await buildProgram(argv.slice(2)).parseAsync(argv);
  } catch (err) {
    process.exitCode = reportError(err);
  }
}

if (require.main === module) void main();
