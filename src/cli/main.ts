/** The `realabel` command line. */
import { Command } from 'commander';
import { COMMANDS } from './commands';
import { reportError } from './common';

export function buildProgram(): Command {
  const program = new Command('realabel')
    .description('Reassessed multi-label ground truth (ReaL) for image-classification benchmarks')
    .version(require('../../package.json').version)
    .configureOutput({
      outputError: (str, write) => write(`realabel: ${str.replace(/^error: /, '').trim()}\n`),
    });
  // Options belong to the command they follow (`serve --db` and `serve export --db` are different flags).
  program.enablePositionalOptions();
  for (const load of COMMANDS) load()(program);
  return program;
}

export async function main(argv: string[] = process.argv): Promise<void> {
  try {
    await buildProgram().parseAsync(argv);
  } catch (err) {
    process.exitCode = reportError(err);
  }
}

if (require.main === module) void main();
