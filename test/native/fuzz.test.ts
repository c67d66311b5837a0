/**
 * Builds the libFuzzer entries of native/fuzz (CMake preset `fuzz`: clang,
 * -fsanitize=fuzzer,address,undefined, each linking one kernel's
 * Node-API-free core) and runs each on a fixed number of inputs from a
 * fixed seed (libFuzzer -runs=N -seed=S), so two runs of the same tree do
 * the same work and CI cannot fail at random. An entry feeds the
 * core's argument checks lying sizes, and checks every accepted call against
 * a reference, so a failure is a memory error, undefined behaviour, a crash,
 * a hang or a wrong answer.
 *
 * A single allocation over 256 MB is a failure too (-malloc_limit_mb): the
 * entries' own buffers are tiny, so such an allocation is a kernel sizing
 * something by a claimed dimension instead of the data it was given.
 *
 * REALABEL_FUZZ_RUNS (default: DEFAULT_RUNS per entry) and REALABEL_FUZZ_SEED
 * (default 1) fix the run. Time-based exploration is `npm run fuzz`
 * (scripts/fuzz.js), which sets REALABEL_FUZZ_SECONDS and a fresh seed
 * instead; it is not part of `npm test`. Skips, saying why, without cmake,
 * clang++ or the libFuzzer runtime (Debian: clang and libclang-rt-14-dev).
 */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

const ROOT = path.resolve(__dirname, '..', '..');
const ENTRIES = ['evaltopk', 'topk_select', 'aggregate', 'pool', 'select'];
const SECONDS = Number(process.env.REALABEL_FUZZ_SECONDS ?? 0);
/**
 * Inputs per entry: about 10 s each on a loaded 2-core machine (topk_select's
 * inputs are matrices, far slower per input). REALABEL_FUZZ_RUNS sets one
 * count for all.
 */
const DEFAULT_RUNS: Record<string, number> = { evaltopk: 20000, topk_select: 2000, aggregate: 20000, pool: 10000, select: 20000 };
const runsOf = (entry: string): number => Number(process.env.REALABEL_FUZZ_RUNS ?? DEFAULT_RUNS[entry]);
const SEED = Number(process.env.REALABEL_FUZZ_SEED ?? 1);
/** A fixed amount of work (npm test), or a time budget (npm run fuzz). */
const budget = (entry: string): string => (SECONDS > 0 ? `-max_total_time=${SECONDS}` : `-runs=${runsOf(entry)}`);
// Only a hang is meant to end a run early: generous bounds, not a speed check.
const RUN_LIMIT_S = SECONDS > 0 ? SECONDS + 60 : 600;

/** Why the fuzz entries cannot be built here, or '' when they can. */
function missing(): string {
  if (process.env.REALABEL_SANITIZED === '1') return 'inside the sanitized run';
  if (spawnSync('cmake', ['--version']).status !== 0) return 'cmake not found';
  if (spawnSync('clang++', ['--version']).status !== 0) return 'clang++ not found (apt: clang)';
  // A one-line fuzzer tells whether the libFuzzer runtime is installed.
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'realabel-fuzz-probe-'));
  try {
    const src = path.join(dir, 'probe.cc');
    fs.writeFileSync(src, '#include <cstdint>\n#include <cstddef>\nextern "C" int LLVMFuzzerTestOneInput(const uint8_t*, size_t) { return 0; }\n');
    const r = spawnSync('clang++', ['-fsanitize=fuzzer,address,undefined', src, '-o', path.join(dir, 'probe')], { encoding: 'utf8' });
    return r.status === 0 ? '' : 'clang++ cannot link -fsanitize=fuzzer (apt: libclang-rt-14-dev)';
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

const why = missing();
if (why) console.warn(`skipping the native fuzz entries: ${why}`);

(why ? describe.skip : describe)(`native fuzz entries (libFuzzer + ASan + UBSan)${why ? ` [skipped: ${why}]` : ''}`, () => {
  const corpora = fs.mkdtempSync(path.join(os.tmpdir(), 'realabel-fuzz-'));
  afterAll(() => fs.rmSync(corpora, { recursive: true, force: true }));

  beforeAll(() => {
    for (const args of [['--preset', 'fuzz'], ['--build', '--preset', 'fuzz', '-j', '2']]) {
      const r = spawnSync('cmake', args, { cwd: ROOT, encoding: 'utf8', maxBuffer: 64 << 20 });
      if (r.status !== 0) throw new Error(`cmake ${args.join(' ')} failed:\n${r.stdout}\n${r.stderr}`);
    }
  }, 300_000);

  it.each(ENTRIES)(`%s runs clean (${SECONDS > 0 ? `${SECONDS} s` : 'fixed inputs'}, -seed=${SEED})`, (entry) => {
    const corpus = path.join(corpora, entry);
    fs.mkdirSync(corpus);
    const r = spawnSync(
      path.join(ROOT, 'build-fuzz', `fuzz_${entry}`),
      [budget(entry), `-seed=${SEED}`, '-timeout=60', '-rss_limit_mb=2048', '-malloc_limit_mb=256', '-print_final_stats=1', `-artifact_prefix=${corpora}/`, corpus],
      { encoding: 'utf8', maxBuffer: 64 << 20, timeout: RUN_LIMIT_S * 1000, env: { ...process.env, UBSAN_OPTIONS: 'print_stacktrace=1:halt_on_error=1' } },
    );
    const out = `${r.stdout}\n${r.stderr}`;
    const tail = out.split('\n').slice(-60).join('\n');
    if (r.status !== 0 || /ERROR: |runtime error:|expectation failed/.test(out)) {
      throw new Error(`fuzz_${entry} failed (exit ${r.status}, signal ${r.signal}); reproduce with build-fuzz/fuzz_${entry} ${budget(entry)} -seed=${SEED}:\n${tail}`);
    }
    const runs = Number(/stat::number_of_executed_units:\s*(\d+)/.exec(out)?.[1] ?? 0);
    if (SECONDS > 0) expect(runs).toBeGreaterThan(0);
    else expect(runs).toBe(runsOf(entry)); // all of the fixed work was done
  }, (RUN_LIMIT_S + 60) * 1000);
});
