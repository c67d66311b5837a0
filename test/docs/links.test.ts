/**
 * The documentation holds together: every relative link in a tracked
 * Markdown file points at a file that exists (and, for a `#fragment` into a
 * Markdown file, at a heading there); README stays short and says where the
 * demo writes, and .gitignore lists that folder.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { DEMO_DEFAULTS } from '../../src/demo/demo';

const ROOT = path.resolve(__dirname, '..', '..');
const SKIP = new Set(['node_modules', 'dist', 'build', 'coverage', 'tmp', 'out', DEMO_DEFAULTS.out]);

function markdownFiles(dir = ROOT): string[] {
  const found: string[] = [];
  for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
    if (e.name.startsWith('.') || SKIP.has(e.name) || e.name.startsWith('build-')) continue;
    const p = path.join(dir, e.name);
    if (e.isDirectory()) found.push(...markdownFiles(p));
    else if (e.name.endsWith('.md')) found.push(p);
  }
  return found;
}

/** GitHub's anchor for a heading: lower case, punctuation dropped, spaces to dashes. */
function slug(heading: string): string {
  return heading
    .trim()
    .toLowerCase()
    .replace(/[^\p{L}\p{N}\s_-]/gu, '')
    .replace(/\s/g, '-');
}

function anchors(file: string): Set<string> {
  const text = fs.readFileSync(file, 'utf8').replace(/```[\s\S]*?```/g, '');
  return new Set([...text.matchAll(/^#{1,6} (.+)$/gm)].map((m) => slug(m[1])));
}

/** [text](target) links outside code blocks and code spans, without external URLs. */
function relativeLinks(file: string): string[] {
  const text = fs.readFileSync(file, 'utf8').replace(/```[\s\S]*?```/g, '').replace(/`[^`\n]*`/g, '');
  return [...text.matchAll(/\]\(([^)\s]+)\)/g)].map((m) => m[1]).filter((t) => !/^[a-z]+:/i.test(t));
}

const files = markdownFiles();

test('there are Markdown files to check', () => {
  expect(files.map((f) => path.relative(ROOT, f))).toEqual(expect.arrayContaining(['README.md', path.join('docs', 'cli.md'), path.join('bench', 'README.md')]));
});

test.each(files.map((f) => [path.relative(ROOT, f), f]))('%s: relative links resolve', (_, file) => {
  const broken: string[] = [];
  for (const link of relativeLinks(file)) {
    const [target, fragment] = link.split('#');
    const resolved = target ? path.resolve(path.dirname(file), decodeURIComponent(target)) : file;
    if (!fs.existsSync(resolved)) broken.push(`${link}: no such file`);
    else if (fragment && resolved.endsWith('.md') && !anchors(resolved).has(fragment)) broken.push(`${link}: no such heading`);
  }
  expect(broken).toEqual([]);
});

test('the slug of a heading is what GitHub links to', () => {
  expect(slug('A Node service: propose, aggregate and evaluate on arrays in memory')).toBe('a-node-service-propose-aggregate-and-evaluate-on-arrays-in-memory');
  expect(slug('`realabel demo`')).toBe('realabel-demo');
});

test('README.md reads in five minutes: at most 200 lines', () => {
  expect(fs.readFileSync(path.join(ROOT, 'README.md'), 'utf8').split('\n').length).toBeLessThanOrEqual(200);
});

test('README says where `npx realabel demo` writes, and .gitignore lists that folder', () => {
  const readme = fs.readFileSync(path.join(ROOT, 'README.md'), 'utf8');
  expect(readme).toContain('npx realabel demo');
  expect(readme).toContain(`\`./${DEMO_DEFAULTS.out}/\``);
  const ignored = fs.readFileSync(path.join(ROOT, '.gitignore'), 'utf8').split('\n').map((l) => l.trim());
  expect(ignored).toContain(`/${DEMO_DEFAULTS.out}/`);
});
