/**
 * EM's stopping rule, shared by the twin (em-ts.ts) and the cluster
 * coordinator; native/aggregate_core.h (EmConverged) does the same IEEE
 * operations, so every engine stops at the same iteration. docs/aggregate.md
 * ("Stopping rule") says why the default is the log-likelihood.
 */
import { ValidationError } from '../errors';

/** 0: the objective gained less than tol per answer (crowd-kit's rule, default); 1: the largest posterior change fell below tol. */
export type StopRuleCode = 0 | 1;

/** The library's and CLI's names for the rules. */
export type StopRule = 'log-likelihood' | 'posterior';

export const STOP_RULES: readonly StopRule[] = ['log-likelihood', 'posterior'];

/** Each rule's default tolerance (the posterior rule keeps its old default). */
export const DEFAULT_TOLS: Readonly<Record<StopRule, number>> = { 'log-likelihood': 1e-5, posterior: 1e-7 };

export function stopRuleCode(rule: StopRule | undefined): StopRuleCode {
  if (rule !== undefined && !STOP_RULES.includes(rule)) throw new ValidationError(`stop must be one of ${STOP_RULES.join(', ')}, got ${String(rule)}`);
  return rule === 'posterior' ? 1 : 0;
}

/**
 * Whether EM has converged after an iteration: `objective` holds every
 * iteration's objective so far, `change` the last iteration's largest
 * posterior change, `answers` the problem's answer count. tol = 0: never.
 */
export function emConverged(rule: StopRuleCode, tol: number, objective: readonly number[], change: number, answers: number): boolean {
  if (!(tol > 0)) return false;
  if (rule === 1) return change < tol;
  const t = objective.length;
  if (t < 2) return false;
  return (objective[t - 1] - objective[t - 2]) / (answers > 1 ? answers : 1) < tol;
}
