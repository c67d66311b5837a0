/**
 * No crash at worker shutdown. Terminating a worker thread while it is inside
 * a native call (onnxruntime's session.run, a sharp decode) can abort the
 * whole process: "terminate called after throwing an instance of
 * 'Napi::Error'". Before WorkerPool waited for running tasks, this loop
 * aborted about one run in a hundred (once in 100 runs here; 3 in 25 with
 * larger images through the CLI), so 50 runs give a crash a fair chance to
 * show; test/util/workers.test.ts checks the mechanism deterministically.
 *
 * A child process runs `logits` 25 times per fault kind (50 in all), each
 * with a fresh 2-worker pool in which one worker's batch fails (throw, or
 * the thread exits) while the other is decoding or inferring. Every run must
 * end with the clean error, and the process must exit normally.
 */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { tmpDir } from '../helpers/tmp';
import { writeMany } from '../logits/fixtures';
import { buildClassifier } from '../logits/onnx-model';

const RUNS = 25; // per fault kind: 50 in all
const LOOP = path.join(__dirname, 'fixtures', 'shutdown-loop.js');
const FAULT_PRELOAD = path.resolve(__dirname, '..', 'helpers', 'worker-fault.js');
const dir = tmpDir('realabel-shutdown-');
let model = '';
const images = path.join(dir, 'images');
const outDir = path.join(dir, 'out');

beforeAll(async () => {
  await writeMany(images, 12, 640);
  model = buildClassifier({ inputSize: 64, classes: 100, filters: 8, stride: 1, seed: 5 }).save(path.join(dir, 'm.onnx'));
  fs.mkdirSync(outDir);
});

it.each(['throw', 'exit'])(`a task that fails (%s) while others run in onnxruntime and sharp: a clean error in each of ${RUNS} runs, then a clean exit`, (kind) => {
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    ORT_DISABLE_TELEMETRY: '1',
    REALABEL_TEST_WORKER_FAULT: `logits:${kind}:2`,
    NODE_OPTIONS: `${process.env.NODE_OPTIONS ?? ''} --require=${FAULT_PRELOAD}`.trim(),
  };
  const r = spawnSync(process.execPath, [LOOP, String(RUNS), model, images, outDir], { encoding: 'utf8', env, timeout: 600_000, killSignal: 'SIGKILL' });
  const where = `stderr: ${r.stderr}`;
  expect({ signal: r.signal, status: r.status, where }).toEqual({ signal: null, status: 0, where });
  expect(r.stdout).toBe('ok\n'.repeat(RUNS));
  expect(r.stderr).toBe('');
}, 660_000);
