/** docs/cli.md documents every command and every one of its flags (so the reference cannot fall behind). */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { buildProgram } from '../../src/cli/main';

const doc = fs.readFileSync(path.resolve(__dirname, '..', '..', 'docs', 'cli.md'), 'utf8');

/** The text of `### \`realabel NAME...\`` up to the next heading of that level. */
function section(name: string): string {
  const start = doc.search(new RegExp(`^### \`realabel ${name}[ \`]`, 'm'));
  if (start < 0) return '';
  const rest = doc.slice(start + 4);
  const end = rest.search(/^#{2,3} /m);
  return end < 0 ? rest : rest.slice(0, end);
}

const commands = buildProgram().commands.filter((c) => c.name() !== 'demo' && c.name() !== 'serve');

test.each(commands.map((c) => [c.name(), c] as const))('docs/cli.md documents realabel %s and all its flags', (name, cmd) => {
  const text = section(name);
  expect(text).not.toBe('');
  for (const opt of cmd.options) if (opt.long && opt.long !== '--help') expect(text).toContain(`\`${opt.long}`);
  expect(text).toContain(`realabel ${name} `); // an example
});

test('docs/cli.md documents realabel demo and all its flags', () => {
  const demo = buildProgram().commands.find((c) => c.name() === 'demo')!;
  const text = doc.slice(doc.indexOf('## `realabel demo`'), doc.indexOf('## Try it on the real release'));
  for (const opt of demo.options) if (opt.long) expect(text).toContain(`\`${opt.long}`);
  expect(text).not.toContain('DEMO_SUMMARY');
});

test('docs/serve.md documents realabel serve, its subcommands and all their flags', () => {
  const serve = buildProgram().commands.find((c) => c.name() === 'serve')!;
  const text = fs.readFileSync(path.resolve(__dirname, '..', '..', 'docs', 'serve.md'), 'utf8');
  const all = [serve, ...serve.commands, ...serve.commands.flatMap((c) => c.commands)];
  for (const cmd of all) for (const opt of cmd.options) if (opt.long && opt.long !== '--help') expect([cmd.name(), text.includes(`\`${opt.long}`)]).toEqual([cmd.name(), true]);
  for (const example of ['realabel serve ', 'realabel serve raters add ', 'realabel serve export ']) expect(text).toContain(example);
});
