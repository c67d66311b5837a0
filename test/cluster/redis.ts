/**
 * Test fixtures for the cluster: a private redis-server on a free loopback
 * port (persistence off) and `realabel cluster worker` processes, all
 * stopped by process id. Tests skip, saying why, when redis-server is absent.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import * as net from 'node:net';
import * as path from 'node:path';

export const BIN = path.resolve(__dirname, '..', '..', 'bin', 'realabel.js');
export const HAVE_REDIS = spawnSync('redis-server', ['--version'], { encoding: 'utf8' }).status === 0;

export function describeRedis(name: string, fn: () => void): void {
  if (HAVE_REDIS) {
    describe(name, fn);
  } else {
    describe.skip(`${name} [skipped: redis-server not installed (apt-get install redis-server)]`, fn);
    // eslint-disable-next-line no-console
    console.warn(`skipping "${name}": redis-server is not installed`);
  }
}

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as net.AddressInfo).port;
      s.close(() => resolve(port));
    });
  });
}

export interface Proc {
  child: ChildProcess;
  output: () => string;
  exited: Promise<number | null>;
}

function track(child: ChildProcess): Proc {
  let out = '';
  child.stdout?.on('data', (d) => (out += d));
  child.stderr?.on('data', (d) => (out += d));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return { child, output: () => out, exited };
}

async function waitFor(what: string, p: Proc, pattern: RegExp, ms = 20000): Promise<void> {
  const until = Date.now() + ms;
  while (!pattern.test(p.output())) {
    if (p.child.exitCode !== null || Date.now() > until) throw new Error(`${what} did not start: ${p.output()}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

export interface Redis extends Proc {
  url: string;
  port: number;
}

export async function startRedis(): Promise<Redis> {
  const port = await freePort();
  const child = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], { stdio: ['ignore', 'pipe', 'pipe'] });
  const p = track(child);
  await waitFor('redis-server', p, /Ready to accept connections/);
  return { ...p, url: `redis://127.0.0.1:${port}`, port };
}

/** `realabel cluster worker` processes; `env` adds variables (fault-hook.js: a fault, a fake version). */
export async function startWorkers(url: string, n: number, env: NodeJS.ProcessEnv = {}, lockMs = 1500): Promise<Proc[]> {
  const procs: Proc[] = [];
  for (let i = 0; i < n; i++) {
    const child = spawn(process.execPath, [BIN, 'cluster', 'worker', '--redis', url, '--lock-ms', String(lockMs)], {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, REALABEL_DEBUG: '', NODE_OPTIONS: `--require=${path.join(__dirname, 'fault-hook.js')}`, ...env },
    });
    procs.push(track(child));
  }
  try {
    await Promise.all(procs.map((p) => waitFor('cluster worker', p, /worker .* on redis:/)));
  } catch (err) {
    await stop(procs, 1000); // none is left behind when one fails to start
    throw err;
  }
  return procs;
}

/** SIGTERM, then SIGKILL after a grace period; by process id only. */
export async function stop(procs: Proc[], graceMs = 5000): Promise<void> {
  await Promise.all(
    procs.map(async (p) => {
      if (p.child.exitCode !== null || p.child.signalCode !== null) return;
      process.kill(p.child.pid!, 'SIGTERM');
      const t = setTimeout(() => {
        if (p.child.exitCode === null && p.child.signalCode === null) process.kill(p.child.pid!, 'SIGKILL');
      }, graceMs);
      await p.exited;
      clearTimeout(t);
    }),
  );
}

/** Runs the CLI; resolves with its status, output and time. */
export function realabel(args: string[], env: NodeJS.ProcessEnv = {}): Promise<{ status: number | null; stdout: string; stderr: string; ms: number }> {
  const t0 = Date.now();
  const child = spawn(process.execPath, [BIN, ...args], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, REALABEL_DEBUG: '', ...env } });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d) => (stdout += d));
  child.stderr.on('data', (d) => (stderr += d));
  return new Promise((resolve) => child.once('exit', (status) => resolve({ status, stdout, stderr, ms: Date.now() - t0 })));
}
