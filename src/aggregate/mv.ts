/**
 * Majority vote. Verification: the posterior of "present" is the mean answer
 * value (yes = 1, maybe = 0.5, no = 0 by default). Categorical: vote shares.
 */
import { runNativeAsync, withBackend, type Backend, type KernelOptions } from '../native/addon';
import { runTwin } from '../util/workers';
import { majorityVoteTs } from './mv-ts';
import { checkCompact, checkSizes, modeSpec, type CompactAnswers, type Mode, type ModeSpec } from './problem';

export interface MajorityVoteOptions extends KernelOptions {
  mode?: Mode;
  spec?: ModeSpec;
  backend?: Backend;
}

/** Posterior (numQuestions × numClasses) by majority vote, on the calling thread. */
export function majorityVoteSync(ans: CompactAnswers, opts: MajorityVoteOptions = {}): Float64Array {
  const spec = opts.spec ?? modeSpec(opts.mode ?? 'verification', ans.alphabet);
  return withBackend(opts.backend, {
    native: (addon) => addon.aggMajorityVote(ans.question, ans.answer, ans.numQuestions, spec.numAnswers, spec.numClasses, spec.votes),
    twin: () => {
      checkTwin(ans, spec);
      return majorityVoteTs(ans.question, ans.answer, ans.numQuestions, spec.numClasses, spec.votes);
    },
  });
}

/** Posterior by majority vote off the event loop (native on libuv's pool, the twin in a worker). */
export async function majorityVote(ans: CompactAnswers, opts: MajorityVoteOptions = {}): Promise<Float64Array> {
  const spec = opts.spec ?? modeSpec(opts.mode ?? 'verification', ans.alphabet);
  return withBackend(opts.backend, {
    native: (addon) =>
      runNativeAsync(opts.signal, (flag) =>
        addon.aggMajorityVoteAsync(ans.question, ans.answer, ans.numQuestions, spec.numAnswers, spec.numClasses, spec.votes, flag),
      ),
    twin: () => {
      checkTwin(ans, spec);
      return runTwin<Float64Array>('aggMajorityVote', [ans.question, ans.answer, ans.numQuestions, spec.numClasses, spec.votes], opts.signal);
    },
  });
}

function checkTwin(ans: CompactAnswers, spec: ModeSpec): void {
  checkSizes(ans.numQuestions, 0, spec.numAnswers, spec.numClasses);
  checkCompact(ans);
}
