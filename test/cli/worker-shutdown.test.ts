/**
 * No crash at worker shutdown. Terminating a worker thread while it is inside
 * a native call (onnxruntime's session.run, a sharp decode) can abort the
 * whole process: "terminate called after throwing an instance of
 * 'Napi::Error'". Before WorkerPool waited for running tasks, this loop
 * aborted about one run in a hundred (once in 100 runs here; 3 in 25 with
 * larger images through the CLI), so 50 runs give a crash a fair chance to
 * show; test/util/workers.test.ts checks the mechanism deterministically.
 *
 * One child process runs `logits` 50 times, each with a fresh 2-worker pool
 * in which one worker's batch fails (throw, or the thread exits) while the
 * other is decoding or inferring. Every run must end with the clean error,
 * and the process must exit normally.
 */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { tmpDir } from '../helpers/tmp';
import { writeMany } from '../logits/fixtures';
import { buildClassifier } from '../logits/onnx-model';

const RUNS = 50;
const LOOP = path.join(__dirname, 'fixtures', 'shutdown-loop.js');
const dir = tmpDir('realabel-shutdown-');

it(`a failing task while others run in onnxruntime and sharp: a clean error in each of ${RUNS} runs, then a clean exit`, async () => {
  const images = path.join(dir, 'images');
  await writeMany(images, 12, 640);
  const model = buildClassifier({ inputSize: 64, classes: 100, filters: 8, stride: 1, seed: 5 }).save(path.join(dir, 'm.onnx'));
  const outDir = path.join(dir, 'out');
  fs.mkdirSync(outDir);
  const env: NodeJS.ProcessEnv = { ...process.env, ORT_DISABLE_TELEMETRY: '1' };
  const r = spawnSync(process.execPath, [LOOP, String(RUNS), model, images, outDir], { encoding: 'utf8', env, timeout: 600_000, killSignal: 'SIGKILL' });
  const where = `stderr: ${r.stderr}`;
  expect({ signal: r.signal, status: r.status, where }).toEqual({ signal: null, status: 0, where });
  expect(r.stdout).toBe('ok\n'.repeat(RUNS));
  expect(r.stderr).toBe('');
}, 660_000);
