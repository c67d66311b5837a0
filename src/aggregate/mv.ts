/**
 * Majority vote. Verification: the posterior of "present" is the mean answer
 * value (yes = 1, maybe = 0.5, no = 0 by default). Categorical: vote shares.
 */
import { rethrowNative } from '../errors';
import { pickNative, type Backend } from '../native/addon';
import { majorityVoteTs } from './mv-ts';
import { checkCompact, checkSizes, modeSpec, type CompactAnswers, type Mode, type ModeSpec } from './problem';

export interface MajorityVoteOptions {
  mode?: Mode;
  spec?: ModeSpec;
  backend?: Backend;
}

/** Posterior (numQuestions × numClasses) by majority vote. */
export function majorityVote(ans: CompactAnswers, opts: MajorityVoteOptions = {}): Float64Array {
  const spec = opts.spec ?? modeSpec(opts.mode ?? 'verification', ans.alphabet);
  const addon = pickNative(opts.backend);
  if (addon) {
    try {
      return addon.aggMajorityVote(ans.question, ans.answer, ans.numQuestions, spec.numAnswers, spec.numClasses, spec.votes);
    } catch (err) {
      rethrowNative(err);
    }
  }
  checkSizes(ans.numQuestions, 0, spec.numAnswers, spec.numClasses);
  checkCompact(ans);
  return majorityVoteTs(ans.question, ans.answer, ans.numQuestions, spec.numClasses, spec.votes);
}
