/**
 * Piscina worker of the TypeScript twins (src/util/workers.ts runTwin): runs
 * one twin kernel by name and transfers the typed arrays of its result back.
 * A twin's own error (bad data, e.g. a non-finite logit) comes back as a
 * failure with a code and fields, like a native error, so the caller makes
 * the same typed error for both backends.
 */
import Piscina from 'piscina';
import { RealabelError } from '../errors';
import { emTs } from '../aggregate/em-ts';
import { goldConfusionTs, scorePassTs } from '../aggregate/gold-ts';
import { majorityVoteTs } from '../aggregate/mv-ts';
import { topkRowsTs } from '../evaluate/topk-ts';
import { poolPairsTs } from '../pool/pool-ts';
import { exhaustiveTs } from '../subsets/search-ts';
import { TopKSelectorTs } from '../topk/topk-ts';
import type { TwinFailure } from '../util/workers';

type Twin = (...args: any[]) => unknown;

const TWINS: Record<string, Twin> = {
  topkSelect: (data, n, c, k, criterion) => {
    const s = new TopKSelectorTs(c, k, criterion);
    s.push(data, n);
    return s.finish();
  },
  /** One chunk of a stream: its candidates that can still be in the top K (topk-ts.ts). */
  topkChunk: (rows, nRows, c, k, criterion, rowOffset, theta) => {
    const s = new TopKSelectorTs(c, k, criterion, undefined, rowOffset, theta);
    s.push(rows, nRows);
    return s.candidates();
  },
  poolPairs: (flat) => poolPairsTs(flat),
  selectExhaustive: (problem) => exhaustiveTs(problem),
  aggMajorityVote: majorityVoteTs,
  aggEm: emTs,
  aggGoldConfusion: goldConfusionTs,
  aggScore: scorePassTs,
  evalTopkRows: (scores, n, c, k) => {
    const out = new Int32Array(n * k);
    const bad = topkRowsTs(scores, n, c, k, out);
    if (bad >= 0) throw Object.assign(new Error(`scores row ${bad} contains NaN`), { code: 'E_NAN', row: bad });
    return out;
  },
};

/** The ArrayBuffers of every typed array in v (transferred, not copied). */
function buffersOf(v: unknown, out = new Set<ArrayBuffer>()): ArrayBuffer[] {
  if (ArrayBuffer.isView(v)) {
    if (v.buffer instanceof ArrayBuffer) out.add(v.buffer);
  } else if (Array.isArray(v)) {
    for (const x of v) buffersOf(x, out);
  } else if (v && typeof v === 'object') {
    for (const x of Object.values(v)) buffersOf(x, out);
  }
  return [...out];
}

function failure(err: unknown): TwinFailure {
  const e = err as Partial<TwinFailure> & { message?: string };
  // Typed errors and the twins' argument checks (TypeError / RangeError) are bad input, like native's E_ARGUMENT.
  if (err instanceof RealabelError || err instanceof TypeError || err instanceof RangeError) {
    return { code: 'E_ARGUMENT', message: String(e.message) };
  }
  if (typeof e?.code === 'string') return { code: e.code, message: String(e.message), row: e.row, column: e.column, value: e.value };
  throw err; // a bug: the caller reports it as a worker failure
}

export default function run(task: { kernel: string; args: unknown[] }): unknown {
  const twin = TWINS[task.kernel];
  if (!twin) throw new Error(`unknown twin kernel ${task.kernel}`);
  let value: unknown;
  try {
    value = twin(...task.args);
  } catch (err) {
    return { failure: failure(err) };
  }
  const result = { value };
  return Piscina.move({ [Piscina.transferableSymbol]: buffersOf(value), [Piscina.valueSymbol]: result } as never);
}
