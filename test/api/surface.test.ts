/**
 * The public surface: `realabel` (src/index.ts) exports exactly what
 * docs/api.md's Exports table lists, values as functions and classes and
 * type-only names as types; `realabel/internals` holds the rest, with no name
 * in both; and no two exported type names anywhere in src/ differ only in
 * case (TopKOptions vs TopkOptions).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import ts from 'typescript';

const ROOT = path.resolve(__dirname, '..', '..');
const SRC = path.join(ROOT, 'src');

const program = ts.createProgram([path.join(SRC, 'index.ts'), path.join(SRC, 'internals.ts')], {
  strict: true, noEmit: true, target: ts.ScriptTarget.ES2022, module: ts.ModuleKind.CommonJS, esModuleInterop: true, skipLibCheck: true, types: ['node'],
});
const checker = program.getTypeChecker();

/** Export name → whether it is a value (function, class, const) or only a type. */
function exportsOf(file: string): Map<string, 'value' | 'type'> {
  const source = program.getSourceFile(file);
  if (!source) throw new Error(`${file} is not in the program`);
  const module = checker.getSymbolAtLocation(source)!;
  const kinds = new Map<string, 'value' | 'type'>();
  for (const sym of checker.getExportsOfModule(module)) {
    const target = sym.flags & ts.SymbolFlags.Alias ? checker.getAliasedSymbol(sym) : sym;
    kinds.set(sym.name, target.flags & ts.SymbolFlags.Value ? 'value' : 'type');
  }
  return kinds;
}

/** The Exports table of docs/api.md: column 2 lists values, column 3 types. */
function documented(): Map<string, 'value' | 'type'> {
  const doc = fs.readFileSync(path.join(ROOT, 'docs', 'api.md'), 'utf8');
  const section = doc.split(/^## Exports$/m)[1]?.split(/^## /m)[0];
  if (!section) throw new Error('docs/api.md has no "## Exports" section');
  const names = new Map<string, 'value' | 'type'>();
  const rows = section.split('\n').filter((l) => l.startsWith('|') && !/^\|[-| ]+\|$/.test(l)).slice(1);
  for (const row of rows) {
    const cells = row.split('|').slice(1, -1);
    for (const [col, kind] of [[1, 'value'], [2, 'type']] as const) {
      for (const m of (cells[col] ?? '').matchAll(/`([A-Za-z_$][\w$]*)`/g)) names.set(m[1], kind);
    }
  }
  return names;
}

const sorted = (m: Map<string, string>) => [...m.entries()].map(([n, k]) => `${k} ${n}`).sort();

test('src/index.ts exports exactly the names of the docs/api.md Exports table', () => {
  expect(sorted(exportsOf(path.join(SRC, 'index.ts')))).toEqual(sorted(documented()));
});

test('realabel/internals holds the rest: no name is in both', () => {
  const pub = exportsOf(path.join(SRC, 'index.ts'));
  const internal = [...exportsOf(path.join(SRC, 'internals.ts')).keys()];
  expect(internal.length).toBeGreaterThan(0);
  expect(internal.filter((n) => pub.has(n))).toEqual([]);
});

test('package.json maps realabel and realabel/internals to the built files', () => {
  const pkg = JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8'));
  expect(pkg.exports['.']).toEqual({ types: './dist/index.d.ts', default: './dist/index.js' });
  expect(pkg.exports['./internals']).toEqual({ types: './dist/internals.d.ts', default: './dist/internals.js' });
  expect(pkg.main).toBe('dist/index.js');
});

function tsFiles(dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = path.join(dir, e.name);
    return e.isDirectory() ? tsFiles(p) : e.name.endsWith('.ts') ? [p] : [];
  });
}

test('no two exported type names in src/ differ only in case', () => {
  const byLower = new Map<string, Set<string>>();
  for (const file of tsFiles(SRC)) {
    const text = fs.readFileSync(file, 'utf8');
    for (const m of text.matchAll(/^export (?:declare )?(?:abstract )?(?:interface|type|class|enum) ([A-Za-z_$][\w$]*)/gm)) {
      const key = m[1].toLowerCase();
      if (!byLower.has(key)) byLower.set(key, new Set());
      byLower.get(key)!.add(m[1]);
    }
  }
  expect(byLower.size).toBeGreaterThan(50);
  expect([...byLower.values()].filter((names) => names.size > 1).map((names) => [...names].sort().join(' / '))).toEqual([]);
});
