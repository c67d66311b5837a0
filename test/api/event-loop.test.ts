/**
 * The event loop stays free while a service proposes, aggregates and
 * evaluates: 4 models of 50,000 x 1,000 logits in memory, and a timer
 * scheduled every 5 ms keeps firing during each call. Between two firings
 * the main thread may run for at most 250 ms of CPU time. Run on the main
 * thread, propose alone holds the loop for over a second of CPU (top-K of
 * 4 x 2 criteria over 200M values): the test runs proposeSync under the
 * same watch and checks that the bound fails then.
 *
 * Off the main thread, what remains there is input validation and packing
 * (flattenPoolInput, answerTable, indexLabelSets: single O(n) passes) and
 * GC: 20-80 ms of CPU in the worst gap, measured on quiet and loaded runs.
 *
 * The bound is on the main thread's CPU time in a gap (Linux
 * /proc/self/task/PID/schedstat), not on the gap's wall time: on a loaded
 * 2-core CI machine an idle process waits hundreds of milliseconds for a
 * core (a fresh-clone CI run at load 12 saw a 467 ms gap with the work off
 * the main thread), which says nothing about who holds the loop. The wall
 * gaps are reported beside it.
 */
import * as fs from 'node:fs';
import { aggregate } from '../../src/aggregate/aggregate';
import { evaluate } from '../../src/evaluate/evaluate';
import { nativeAddon } from '../../src/native/addon';
import { propose, proposeSync } from '../../src/propose/propose';
import { rateProposals, serviceLoad, type Load } from '../helpers/service-load';

const N = 50_000;
const C = 1_000;
const M = 4;
const TICK_MS = 5;
const MAX_BUSY_MS = 250;

/** CPU time of this process's main thread so far, in ms (schedstat: ns on CPU; else stat: clock ticks). */
function mainThreadCpuMs(): number {
  const task = `/proc/self/task/${process.pid}`;
  try {
    return Number(fs.readFileSync(`${task}/schedstat`, 'utf8').split(' ')[0]) / 1e6;
  } catch {
    const f = fs.readFileSync(`${task}/stat`, 'utf8').split(') ')[1].split(' ');
    return (Number(f[11]) + Number(f[12])) * 10; // USER_HZ = 100
  }
}

interface Watch {
  /** Most main-thread CPU time between two firings. */
  maxBusy: number;
  /** Longest wall time between two firings. */
  maxGap: number;
}

/** Runs `work` while a 5 ms interval records, per gap between its firings, the wall time and the main thread's CPU time. */
async function withLoopWatch<T>(work: () => Promise<T>): Promise<{ result: T } & Watch> {
  let last = performance.now();
  let lastCpu = mainThreadCpuMs();
  const w: Watch = { maxBusy: 0, maxGap: 0 };
  const tick = () => {
    const t = performance.now();
    const cpu = mainThreadCpuMs();
    w.maxGap = Math.max(w.maxGap, t - last);
    w.maxBusy = Math.max(w.maxBusy, cpu - lastCpu);
    last = t;
    lastCpu = cpu;
  };
  const timer = setInterval(tick, TICK_MS);
  try {
    const result = await work();
    tick();
    return { result, ...w };
  } finally {
    clearInterval(timer);
  }
}

// The kernels must run off the main thread for this to hold: natively as
// AsyncWorkers (the kernel layer's *Async addon functions). Until the addon
// has them, the test says so and does not run.
const asyncKernels = typeof (nativeAddon() as Record<string, unknown> | null)?.topkSelectAsync === 'function';
const maybe = asyncKernels ? test : test.skip;
if (!asyncKernels) console.warn('event-loop test skipped: the native addon has no async kernels (topkSelectAsync) yet');

let load: Load;

beforeAll(() => {
  if (asyncKernels) load = serviceLoad(N, C, M);
});

maybe('propose, aggregate and evaluate on 50,000 x 1,000 x 4 models leave the event loop free', async () => {
  const { n, c, logits, original, truth } = load;
  const p = await withLoopWatch(() => propose({ logits, n, c, original }));
  expect(p.result.image.length).toBeGreaterThan(n);

  const answers = rateProposals(p.result.image, p.result.label, truth);
  const a = await withLoopWatch(() => aggregate({ method: 'ds', answers, original }));
  const labels = a.result.sets!;
  expect(labels).toHaveLength(n);

  const e = await withLoopWatch(() => evaluate({ labels, original, predictions: logits.map((scores) => ({ scores, numClasses: c })) }));
  expect(e.result.models).toHaveLength(M);
  for (const m of e.result.models) expect(m.realTop1!).toBeGreaterThan(0.5);

  const watches = { propose: p, aggregate: a, evaluate: e };
  console.log(Object.entries(watches).map(([call, w]) => `${call}: longest gap ${w.maxGap.toFixed(0)} ms, most main-thread CPU in a gap ${w.maxBusy.toFixed(0)} ms`).join('\n'));
  const over = Object.entries(watches).filter(([, w]) => w.maxBusy > MAX_BUSY_MS).map(([call, w]) => `${call}: ${w.maxBusy.toFixed(0)} ms of main-thread CPU between two 5 ms ticks`);
  expect(over).toEqual([]);

  // The control: the same work on the main thread exceeds the bound.
  const sync = await withLoopWatch(async () => proposeSync({ logits, n, c, original }));
  expect(sync.maxBusy).toBeGreaterThan(MAX_BUSY_MS);
});
