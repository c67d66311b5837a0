/**
 * `select-models`: which subset of the models to pool. Every subset is pooled
 * again on the gold images and scored against the expert truth: recall =
 * gold positives proposed / all gold positives (a positive no subset proposes
 * is missed), precision = gold positives proposed / pairs proposed. The best
 * subset has the highest precision with recall >= target; ties go to fewer
 * proposals per image, then fewer models. Exhaustive (native bitsets) up to
 * 24 models, greedy forward selection plus swaps above.
 */
import { UsageError } from '../errors';
import { runNativeAsync, withBackend, type Backend, type KernelOptions } from '../native/addon';
import { runTwin } from '../util/workers';
import type { Proposals } from '../propose/propose';
import { checkGoldQuestions, type GoldQuestions } from './gold';
import { buildProblem, type SubsetProblem, type UnknownPairs } from './problem';
import { evaluateSubset, exhaustiveTs, type Buckets } from './search-ts';

export const EXHAUSTIVE_MAX_MODELS = 24;

export interface SelectOptions {
  recall?: number;
  minVotes?: number;
  unknown?: UnknownPairs;
  search?: 'auto' | 'exhaustive' | 'greedy';
  backend?: Backend;
  threads?: number;
}

/** A scored subset: model indices ascending. */
export interface Scored {
  models: number[];
  tp: number;
  count: number;
  den: number;
}

export interface SubsetReport {
  models: string[];
  model_indices: number[];
  precision: number;
  recall: number;
  proposals_per_image: number;
  true_positives: number;
  proposed: number;
}

export interface SelectResult {
  search: 'exhaustive' | 'greedy';
  subsets_evaluated: number;
  target_recall: number;
  min_votes: number;
  unknown: UnknownPairs;
  gold: { images: number; questions: number; positives: number; proposable_positives: number; candidate_pairs: number };
  /** null when no subset reaches the target recall. */
  best: SubsetReport | null;
  all_models: SubsetReport;
  max_recall: number;
  /** Non-dominated in (recall, precision), by recall ascending. */
  pareto: SubsetReport[];
}

/** Compares mask-like index lists: the one lacking the highest differing model is lower. */
function compareModels(a: number[], b: number[]): number {
  if (a.length !== b.length) return a.length - b.length;
  for (let i = a.length - 1; i >= 0; i--) if (a[i] !== b[i]) return a[i] - b[i];
  return 0;
}

/** < 0 when a is better: higher precision, then fewer proposals, then fewer models, then lower mask. */
export function compareScored(a: Scored, b: Scored): number {
  const byPrecision = precisionCmp(b, a);
  if (byPrecision !== 0) return byPrecision;
  if (a.count !== b.count) return a.count - b.count;
  return compareModels(a.models, b.models);
}

function maskModels(mask: number, M: number): number[] {
  const out: number[] = [];
  for (let m = 0; m < M; m++) if ((mask >>> m) & 1) out.push(m);
  return out;
}

function bucketsToScored(b: Buckets, M: number): Scored[] {
  const out: Scored[] = [];
  for (let t = 0; t < b.mask.length; t++) {
    if (b.mask[t] >= 0) out.push({ models: maskModels(b.mask[t], M), tp: t, count: b.count[t], den: b.den[t] });
  }
  return out;
}

/** The exhaustive search's per-true-positive winners (native or twin), on the calling thread. */
export function exhaustiveBucketsSync(pr: SubsetProblem, opts: { backend?: Backend; threads?: number } = {}): Buckets {
  return withBackend(opts.backend, {
    native: (addon) => addon.selectExhaustive(...exhaustiveArgs(pr, opts.threads)),
    twin: () => exhaustiveTs(pr),
  });
}

/**
 * The exhaustive search's per-true-positive winners off the event loop:
 * natively on libuv's pool, the twin in a worker. Rejects with an AbortError
 * when `opts.signal` fires.
 */
export async function exhaustiveBuckets(pr: SubsetProblem, opts: KernelOptions & { threads?: number } = {}): Promise<Buckets> {
  return withBackend(opts.backend, {
    native: (addon) => runNativeAsync(opts.signal, (flag) => addon.selectExhaustiveAsync(...exhaustiveArgs(pr, opts.threads), flag)),
    twin: () => runTwin<Buckets>('selectExhaustive', [pr], opts.signal),
  });
}

function exhaustiveArgs(pr: SubsetProblem, threads = 0) {
  return [pr.models, pr.words, pr.minVotes, pr.a, pr.b, pr.f, pr.base, pr.pos, pr.gold, pr.unknown === 'ignore', pr.maxTp, threads] as const;
}

function feasible(s: Scored, pr: SubsetProblem, target: number): boolean {
  return s.tp >= target * pr.positives - 1e-9;
}

/** Greedy forward selection to the target recall, then single add/remove/swap moves while they help. */
export function greedySearch(pr: SubsetProblem, target: number): { winners: Scored[]; evaluated: number } {
  const cache = new Map<string, Scored>();
  const perTp = new Map<number, Scored>();
  const evaluate = (models: number[]): Scored => {
    const sorted = [...models].sort((x, y) => x - y);
    const key = sorted.join(',');
    let s = cache.get(key);
    if (!s) {
      s = { models: sorted, ...evaluateSubset(pr, sorted) };
      cache.set(key, s);
      const cur = perTp.get(s.tp);
      if (!cur || compareScored(s, cur) < 0) perTp.set(s.tp, s);
    }
    return s;
  };
  const all = Array.from({ length: pr.models }, (_, m) => m);
  let current: Scored | undefined;
  const chosen: number[] = [];
  while (chosen.length < pr.models && !(current && feasible(current, pr, target))) {
    let pick: Scored | undefined;
    for (const m of all) {
      if (chosen.includes(m)) continue;
      const s = evaluate([...chosen, m]);
      if (!pick || s.tp > pick.tp || (s.tp === pick.tp && compareScored(s, pick) < 0)) pick = s;
    }
    current = pick!;
    chosen.splice(0, chosen.length, ...current.models);
  }
  for (let iter = 0; current && feasible(current, pr, target) && iter < 10 * pr.models; iter++) {
    const inside = current.models;
    const outside = all.filter((m) => !inside.includes(m));
    const moves: number[][] = [];
    for (const m of inside) if (inside.length > 1) moves.push(inside.filter((x) => x !== m));
    for (const o of outside) moves.push([...inside, o]);
    for (const m of inside) for (const o of outside) moves.push([...inside.filter((x) => x !== m), o]);
    let next: Scored | undefined;
    for (const mv of moves) {
      const s = evaluate(mv);
      if (feasible(s, pr, target) && (!next || compareScored(s, next) < 0)) next = s;
    }
    if (!next || compareScored(next, current) >= 0) break;
    current = next;
  }
  return { winners: [...perTp.values()].sort((x, y) => x.tp - y.tp), evaluated: cache.size };
}

function report(s: Scored, pr: SubsetProblem): SubsetReport {
  return {
    models: s.models.map((m) => pr.names[m]),
    model_indices: s.models,
    precision: s.den === 0 ? 0 : s.tp / s.den,
    recall: s.tp / pr.positives,
    proposals_per_image: s.count / pr.goldImages,
    true_positives: s.tp,
    proposed: s.count,
  };
}

/** > 0 when a's precision is higher (exact, by cross-multiplication; no denominator = 0). */
function precisionCmp(a: Scored, b: Scored): number {
  return (a.den === 0 ? 0 : a.tp) * (b.den || 1) - (b.den === 0 ? 0 : b.tp) * (a.den || 1);
}

/** Non-dominated winners in (recall, precision), by recall ascending. */
export function paretoFront(winners: Scored[]): Scored[] {
  const front: Scored[] = [];
  for (const s of [...winners].sort((x, y) => y.tp - x.tp)) {
    if (front.length === 0 || precisionCmp(s, front[front.length - 1]) > 0) front.push(s);
  }
  return front.reverse();
}

/** Searches the subsets of a built problem. */
export function searchSubsets(pr: SubsetProblem, opts: SelectOptions = {}): SelectResult {
  const target = opts.recall ?? 0.97;
  if (!(target >= 0 && target <= 1)) throw new UsageError(`\`recall\` must be in [0, 1], got ${target}`);
  if (pr.positives === 0) throw new UsageError('the gold set has no positives: recall is undefined');
  const mode = opts.search ?? 'auto';
  const exhaustive = mode === 'exhaustive' || (mode === 'auto' && pr.models <= EXHAUSTIVE_MAX_MODELS);
  if (exhaustive && pr.models > EXHAUSTIVE_MAX_MODELS) {
    throw new UsageError(`exhaustive search handles up to ${EXHAUSTIVE_MAX_MODELS} models, got ${pr.models}; use greedy`);
  }
  let winners: Scored[];
  let evaluated: number;
  if (exhaustive) {
    winners = bucketsToScored(exhaustiveBucketsSync(pr, opts), pr.models);
    evaluated = 2 ** pr.models - 1;
  } else {
    ({ winners, evaluated } = greedySearch(pr, target));
  }
  const allModels = Array.from({ length: pr.models }, (_, m) => m);
  const allScore = { models: allModels, ...evaluateSubset(pr, allModels) };
  let best: Scored | undefined;
  for (const s of winners) if (feasible(s, pr, target) && (!best || compareScored(s, best) < 0)) best = s;
  const maxTp = winners.reduce((mx, s) => Math.max(mx, s.tp), 0);
  return {
    search: exhaustive ? 'exhaustive' : 'greedy',
    subsets_evaluated: evaluated,
    target_recall: target,
    min_votes: pr.minVotes,
    unknown: pr.unknown,
    gold: {
      images: pr.goldImages, questions: pr.goldQuestions, positives: pr.positives,
      proposable_positives: pr.maxTp, candidate_pairs: pr.image.length,
    },
    best: best ? report(best, pr) : null,
    all_models: report(allScore, pr),
    max_recall: maxTp / pr.positives,
    pareto: paretoFront(winners).map((s) => report(s, pr)),
  };
}

/** select-models on in-memory proposals and gold answers. */
export function selectModels(proposals: Proposals, gold: GoldQuestions, opts: SelectOptions = {}): SelectResult {
  checkGoldQuestions(gold);
  return searchSubsets(buildProblem(proposals, gold, { minVotes: opts.minVotes, unknown: opts.unknown }), opts);
}

function csvField(s: string): string {
  return /[",\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

/** The Pareto front as CSV, one row per subset. */
export function paretoCsv(r: SelectResult): string {
  const rows = ['recall,precision,proposals_per_image,true_positives,proposed,num_models,models'];
  for (const s of r.pareto) {
    rows.push(
      [s.recall, s.precision, s.proposals_per_image, s.true_positives, s.proposed, s.models.length, csvField(s.models.join('+'))].join(','),
    );
  }
  return `${rows.join('\n')}\n`;
}
