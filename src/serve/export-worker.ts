/** Worker thread of exportAnswersInWorker: one text export from its own read-only connection. */
import { parentPort, workerData } from 'node:worker_threads';
import { exportBytes, type ExportOptions } from './export';
import { openDb } from './store';

const { dbFile, opts } = workerData as { dbFile: string; opts: Omit<ExportOptions, 'imageUrl'> };
try {
  const db = openDb(dbFile, { readonly: true });
  try {
    const out = exportBytes(db, opts);
    const main = new Uint8Array(out.main.buffer, out.main.byteOffset, out.main.length);
    parentPort!.postMessage({ ok: true, main, counts: out.counts }, [main.buffer as ArrayBuffer]);
  } finally {
    db.close();
  }
} catch (err) {
  parentPort!.postMessage({ ok: false, error: (err as Error).message });
}
