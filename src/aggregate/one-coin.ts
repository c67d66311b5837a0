/**
 * One-coin EM: each worker has a single accuracy p; a wrong answer is spread
 * evenly over the other answer values. In verification mode "yes" is correct
 * for present and "no" for absent, so middle answers (maybe) carry no
 * information about the truth.
 */
import type { EmResult } from './em';
import { fitEm, type EmFitOptions } from './ds';
import type { CompactAnswers } from './problem';

export function oneCoin(ans: CompactAnswers, opts: EmFitOptions = {}): EmResult {
  return fitEm([ans], opts, 1)[0];
}

export function oneCoinBatch(problems: CompactAnswers[], opts: EmFitOptions = {}): EmResult[] {
  return fitEm(problems, opts, 1);
}
