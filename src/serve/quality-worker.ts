/** Worker thread of QualityService: computes one quality snapshot and posts it back. */
import { parentPort, workerData } from 'node:worker_threads';
import { computeQuality, type AdaptiveOptions } from './quality';

const { dbFile, adaptive } = workerData as { dbFile: string; adaptive?: AdaptiveOptions };
computeQuality(dbFile, adaptive).then(
  (quality) => parentPort!.postMessage({ ok: true, quality }),
  (err: Error) => parentPort!.postMessage({ ok: false, error: err.message }),
);
