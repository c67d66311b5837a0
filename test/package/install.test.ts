/**
 * realabel installs as a dependency: `npm pack`'s tarball goes into a fresh
 * project with `npm install --offline` (so nothing can be fetched, from the
 * registry or elsewhere) and no environment variable, its install script
 * builds the addon, and there a library call and the CLI work. The optional
 * peer dependencies (onnxruntime-node, sharp, vega, vega-lite, better-sqlite3) are not
 * installed: the commands that need them fail with one line naming what to
 * install, and every other command works.
 *
 * Offline needs every package in npm's cache. `npm ci` caches the tarballs
 * but not the registry's metadata that resolving a version range needs, so
 * the project gets a lockfile: realabel's dependency closure copied from our
 * package-lock.json (the versions `npm ci` installed and cached).
 */
import { spawnSync, type SpawnSyncReturns } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { tmpDir } from '../helpers/tmp';

const ROOT = path.resolve(__dirname, '..', '..');
const OPTIONAL = ['onnxruntime-node', 'sharp', 'vega', 'vega-lite', 'better-sqlite3'];
const INSTALL_TIMEOUT_MS = 20 * 60_000; // compiles the addon: ~1 min on a quiet 2-core machine
const dir = tmpDir('realabel-package-');
const project = path.join(dir, 'project');
const pkg = JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8'));

/** The environment of a user's shell: none of npm's run-script variables nor ours. */
function userEnv(): NodeJS.ProcessEnv {
  const env = { ...process.env };
  for (const k of Object.keys(env)) {
    const npmRun = k.startsWith('npm_') && k !== 'npm_config_cache' && k !== 'npm_config_userconfig';
    if (npmRun || k.startsWith('REALABEL_') || k.startsWith('ONNXRUNTIME_') || k.startsWith('ORT_')) delete env[k];
  }
  return env;
}

function run(cmd: string, args: string[], cwd: string, timeout = 120_000): SpawnSyncReturns<string> {
  return spawnSync(cmd, args, { cwd, env: userEnv(), encoding: 'utf8', timeout, killSignal: 'SIGKILL' });
}

function explain(r: SpawnSyncReturns<string>): string {
  return `status ${r.status}${r.error ? ` (${r.error.message})` : ''}\nstdout: ${r.stdout}\nstderr: ${r.stderr}`;
}

interface LockEntry {
  dependencies?: Record<string, string>;
  optionalDependencies?: Record<string, string>;
  [key: string]: unknown;
}

/** realabel's runtime dependencies and theirs, as our lockfile resolved them (node's lookup rules). */
function dependencyClosure(): Record<string, LockEntry> {
  const packages: Record<string, LockEntry> = JSON.parse(fs.readFileSync(path.join(ROOT, 'package-lock.json'), 'utf8')).packages;
  const find = (name: string, from: string): string => {
    for (let base = from; ; base = base.slice(0, Math.max(0, base.lastIndexOf('/node_modules/')))) {
      const at = `${base ? `${base}/` : ''}node_modules/${name}`;
      if (packages[at]) return at;
      if (!base) throw new Error(`package-lock.json has no ${name} for ${from || 'the root'}`);
    }
  };
  const closure: Record<string, LockEntry> = {};
  const todo: Array<[string, string]> = Object.keys(pkg.dependencies).map((n) => [n, '']);
  for (let next = todo.pop(); next; next = todo.pop()) {
    const at = find(...next);
    if (closure[at]) continue;
    const { dev, devOptional, peer, ...entry } = packages[at];
    closure[at] = entry;
    for (const d of [...Object.keys(entry.dependencies ?? {}), ...Object.keys(entry.optionalDependencies ?? {})]) todo.push([d, at]);
  }
  return closure;
}

let install: SpawnSyncReturns<string>;

beforeAll(() => {
  // dist/ is fresh (jest's global setup); --ignore-scripts: no rebuild under other running suites.
  const packed = run('npm', ['pack', '--ignore-scripts', '--json', '--pack-destination', dir], ROOT);
  if (packed.status !== 0) throw new Error(`npm pack failed: ${explain(packed)}`);
  const tarball = `file:../${JSON.parse(packed.stdout)[0].filename}`;
  fs.mkdirSync(project);
  const manifest = { name: 'consumer', version: '1.0.0', private: true, dependencies: { realabel: tarball } };
  fs.writeFileSync(path.join(project, 'package.json'), JSON.stringify(manifest, null, 2));
  const realabel = {
    version: pkg.version, resolved: tarball, hasInstallScript: true, license: pkg.license, bin: pkg.bin, engines: pkg.engines,
    dependencies: pkg.dependencies, peerDependencies: pkg.peerDependencies, peerDependenciesMeta: pkg.peerDependenciesMeta,
  };
  const lock = {
    name: manifest.name, version: manifest.version, lockfileVersion: 3, requires: true,
    packages: { '': { name: manifest.name, version: manifest.version, dependencies: manifest.dependencies }, 'node_modules/realabel': realabel, ...dependencyClosure() },
  };
  fs.writeFileSync(path.join(project, 'package-lock.json'), JSON.stringify(lock, null, 2));
  install = run('npm', ['install', '--offline', '--no-audit', '--no-fund'], project, INSTALL_TIMEOUT_MS);
}, INSTALL_TIMEOUT_MS + 120_000);

test('npm install --offline of the packed tarball succeeds, with no environment variable', () => {
  expect({ status: install.status, why: explain(install) }).toEqual({ status: 0, why: explain(install) });
  const installed = (name: string) => fs.existsSync(path.join(project, 'node_modules', name, 'package.json'));
  expect(installed('realabel')).toBe(true);
  expect(OPTIONAL.filter(installed)).toEqual([]);
});

test('a library call works there, on the native core built at install', () => {
  const script = `
    const realabel = require('realabel');
    (async () => {
      const sim = await realabel.simulate({ images: 300, classes: 10, models: 2, seed: 1 });
      const scores = await realabel.evaluate({ labels: sim.truth, original: sim.original, predictions: sim.logits.map((s) => ({ scores: s, numClasses: 10 })) });
      let internal = '';
      try { require('realabel/dist/topk/topk'); } catch (e) { internal = e.code; }
      console.log(JSON.stringify({ native: realabel.hasNative(), models: scores.models.length, internals: typeof require('realabel/internals').poolPairs, internal }));
    })().catch((e) => { console.error(e); process.exit(1); });`;
  const r = run(process.execPath, ['-e', script], project);
  expect({ status: r.status, why: explain(r) }).toEqual({ status: 0, why: explain(r) });
  expect(JSON.parse(r.stdout)).toEqual({ native: true, models: 2, internals: 'function', internal: 'ERR_PACKAGE_PATH_NOT_EXPORTED' });
});

describe('the CLI works there', () => {
  const bin = () => path.join(project, 'node_modules', '.bin', 'realabel');
  let sim: SpawnSyncReturns<string>;
  beforeAll(() => {
    sim = run(bin(), ['simulate', '--images', '200', '--classes', '10', '--models', '2', '--out', 'sim', '--json'], project);
  });

  test('--version, --help, simulate and evaluate', () => {
    const version = run(bin(), ['--version'], project);
    expect(version.stdout.trim()).toBe(pkg.version);
    const help = run(bin(), ['--help'], project);
    expect({ status: help.status, why: explain(help) }).toEqual({ status: 0, why: explain(help) });
    expect(help.stdout).toMatch(/serve \[args\.\.\.\]\s+the rating app \(needs better-sqlite3\)/);
    expect({ status: sim.status, why: explain(sim) }).toEqual({ status: 0, why: explain(sim) });
    const ev = run(bin(), ['evaluate', '--labels', 'sim/truth.json', '--predictions', 'sim/model_00.npy', '--original', 'sim/original.npy', '--json'], project);
    expect({ status: ev.status, why: explain(ev) }).toEqual({ status: 0, why: explain(ev) });
    expect(ev.stdout).toContain('real_top1');
  });

  test.each([
    ['logits', ['logits', '--model', 'model.onnx', '--images', 'sim', '--out', 'logits.npy'], 'npm install onnxruntime-node sharp'],
    ['serve', ['serve', '--db', 'ratings.sqlite', '--tasks', 'tasks.jsonl'], 'npm install better-sqlite3'],
    ['analyze', ['analyze', '--labels', 'sim/truth.json', '--original', 'sim/original.npy', '--predictions', 'sim/model_00.npy', '--classes', '10', '--out', 'report'], 'npm install vega vega-lite'],
  ])('%s says which optional package to install, in one line', (_, args, says) => {
    const r = run(bin(), args, project);
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/^realabel: [^\n]+\n$/);
    expect(r.stderr).toContain(says);
  });
});
