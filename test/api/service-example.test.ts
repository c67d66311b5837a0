/**
 * The Node service example in docs/api.md, exactly as written: type-checked
 * against the published typings (dist/index.d.ts, as `import ... from
 * 'realabel'` resolves), then run (an HTTP server on a loopback port), with
 * 'realabel' mapped to the sources.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import ts from 'typescript';
import { recovery } from '../../src/demo/compare';
import { tmpDir } from '../helpers/tmp';

const ROOT = path.resolve(__dirname, '..', '..');
const DOC = path.join(ROOT, 'docs', 'api.md');
const dir = tmpDir('realabel-api-');

/** The first ```ts block after the service heading. */
function exampleSource(): string {
  const doc = fs.readFileSync(DOC, 'utf8');
  const section = doc.split('## A Node service')[1];
  if (!section) throw new Error(`${DOC} has no "## A Node service" section`);
  const m = /```ts\n([\s\S]*?)```/.exec(section);
  if (!m) throw new Error(`${DOC}: no ts code block in the service section`);
  return m[1];
}

test('the example type-checks against the package typings', () => {
  const typings = path.join(ROOT, 'dist', 'index.d.ts');
  if (!fs.existsSync(typings)) throw new Error(`${typings} is missing: build with \`npx tsc -p tsconfig.json\` (npm test does)`);
  const file = path.join(dir, 'service.ts');
  fs.writeFileSync(file, exampleSource());
  const program = ts.createProgram([file], {
    strict: true, noEmit: true, target: ts.ScriptTarget.ES2022, module: ts.ModuleKind.CommonJS, esModuleInterop: true,
    skipLibCheck: true, types: ['node'], typeRoots: [path.join(ROOT, 'node_modules', '@types')],
    baseUrl: ROOT, paths: { realabel: ['dist/index.d.ts'] },
  });
  const problems = ts.getPreEmitDiagnostics(program).map((d) => ts.flattenDiagnosticMessageText(d.messageText, '\n'));
  expect(problems).toEqual([]);
});

test('the example serves: /relabel gives labels that beat the original ones for every model, /health answers meanwhile', async () => {
  const js = ts.transpileModule(exampleSource(), { compilerOptions: { module: ts.ModuleKind.CommonJS, target: ts.ScriptTarget.ES2022 } }).outputText;
  const mod: { exports: Record<string, any> } = { exports: {} };
  const load = (name: string) => (name === 'realabel' ? require('../../src/index') : require(name));
  new Function('require', 'module', 'exports', js)(load, mod, mod.exports);
  const log = jest.spyOn(console, 'log').mockImplementation(() => undefined);
  let r: any;
  try {
    r = await mod.exports.tryIt();
    expect(log).toHaveBeenCalledTimes(1);
  } finally {
    log.mockRestore();
  }
  expect(r.labels).toHaveLength(2000);
  expect(r.pairs).toBeGreaterThan(2000);
  expect(r.healthy).toBeGreaterThan(0);
  const fresh = recovery(r.labels, r.truth);
  const orig = recovery(Array.from(r.original as Int32Array, (l) => [l]), r.truth);
  expect(fresh.exact_sets).toBeGreaterThan(orig.exact_sets);
  expect(fresh.recall).toBeGreaterThan(orig.recall);
  expect(r.accuracy).toHaveLength(4);
  for (const a of r.accuracy) expect(a.real).toBeGreaterThan(a.original);
});

test('README links to the example instead of copying it', () => {
  const readme = fs.readFileSync(path.join(ROOT, 'README.md'), 'utf8');
  expect(readme).toContain('docs/api.md#a-node-service-propose-aggregate-and-evaluate-over-http');
  expect(readme).not.toContain('export async function tryIt');
});
