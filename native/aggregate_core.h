// Crowd aggregation kernels: majority vote, Dawid–Skene / one-coin EM, gold
// calibration and one scoring pass. Pure C++ (no N-API) so they can be unit
// built and run from any thread; aggregate.cc holds the bindings.
//
// Determinism: every sum runs over fixed blocks (their number depends on the
// problem size, never on the thread count) and partial sums are combined in
// block order. src/aggregate/*-ts.ts mirror these loops operation by
// operation, so the TypeScript twins agree to rounding of log/exp.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "check.h"

namespace realabel {
namespace aggregate {

// Answers of one problem: answer i says worker w[i] gave answer a[i] to
// question q[i]. Q questions, W workers, A answer values, K truth classes.
struct Answers {
  const int32_t* q;
  const int32_t* w;
  const int32_t* a;
  int64_t n;
  int32_t Q, W, A, K;
};

enum class Method { kDawidSkene = 0, kOneCoin = 1 };

// When EM stops before max_iter (docs/aggregate.md, "Stopping rule"):
// kLogLikelihood: the objective (log-likelihood plus the smoothing's log
//   prior) gained less than tol per answer in the last iteration, crowd-kit's
//   rule; robust on small sets where a posterior creeps for hundreds of
//   iterations while the fit no longer improves.
// kPosterior: the largest change of any posterior entry fell below tol (the
//   rule before, kept for comparisons and old results).
// tol = 0 turns either off: exactly max_iter iterations.
enum class StopRule { kLogLikelihood = 0, kPosterior = 1 };

struct EmOptions {
  Method method = Method::kDawidSkene;
  const int32_t* match = nullptr;  // one-coin: class that answer a is correct for, or -1 (length A)
  int32_t max_iter = 500;
  StopRule stop = StopRule::kLogLikelihood;
  double tol = 1e-5;
  double smoothing = 0;
};

// The stopping rule after an iteration: `objective` holds every iteration's
// objective so far, `change` the last iteration's largest posterior change,
// `answers` the problem's answer count. Mirrored by src/aggregate/em-stop.ts
// (the same IEEE operations, so every engine stops at the same iteration).
inline bool EmConverged(const EmOptions& opt, const std::vector<double>& objective, double change, int64_t answers) {
  if (!(opt.tol > 0)) return false;
  if (opt.stop == StopRule::kPosterior) return change < opt.tol;
  const size_t t = objective.size();
  if (t < 2) return false;
  const double per = static_cast<double>(answers > 1 ? answers : 1);
  return (objective[t - 1] - objective[t - 2]) / per < opt.tol;
}

// Outputs are caller-owned buffers (N-API typed arrays).
struct EmOutput {
  double* posterior;   // Q*K
  double* confusion;   // W*K*A, row (w, k) = p(answer | truth k)
  double* prior;       // K
  double* skill;       // W (one-coin accuracy; DS: p(correct) unused, may be null)
  std::vector<double> log_likelihood;  // per iteration
  std::vector<double> objective;       // log-likelihood + log Dirichlet prior of the smoothing
  int32_t iterations = 0;
  bool converged = false;
};

// Argument checks, shared by the bindings (aggregate.cc, which turn ArgError
// into a RangeError) and the fuzz entry. Run them before any kernel below.
constexpr int64_t kMaxParams = int64_t{1} << 26;  // W*K*A doubles per confusion array
// Q, W in [0, 2^31), A, K in [1, 2^16], and the derived sizes bounded.
void CheckSizes(int64_t Q, int64_t W, int64_t A, int64_t K);
// Answer arrays of lengths qLen, wLen (-1: no worker array) and aLen with every
// entry in range; sets ans->n. ans->Q, W, A must be checked already.
void CheckAnswers(const std::string& what, Answers* ans, int64_t qLen, int64_t wLen, int64_t aLen);
// `what` has `expected` values (message: "what: expected <formula> values").
void CheckCount(const std::string& what, int64_t actual, int64_t expected, const char* formula);
void CheckFinite(const std::string& what, const double* x, int64_t n, bool nonneg);
// method, max_iter, tol, smoothing and (one-coin) match, of length matchLen.
void CheckEmOptions(const EmOptions& opt, int64_t A, int64_t K, int64_t matchLen);
// Memory is sized by the data given, never by a claimed dimension alone: an
// output or working array of `values` entries derived from claimed sizes may
// exceed the values passed in (`given`) by a bounded factor only.
constexpr int64_t kOutputSlack = int64_t{1} << 22;
constexpr int64_t kOutputFactor = 16;
void CheckOutput(const std::string& what, int64_t values, int64_t given);
// The working memory of one EM problem (confusions W*K*A, scratch A*K)
// against its answers and init; ans->n must be set (CheckAnswers).
void CheckEmWork(const std::string& what, const Answers& ans, const EmOptions& opt, int64_t initLen);
// truth[q] in [-1, K) for q < Q.
void CheckTruth(const int32_t* truth, int64_t Q, int64_t K);
void CheckSmoothing(double smoothing);

// T[q, k] = sum_i V[a_i, k] / sum_{i,k} V[a_i, k] (uniform when a question has no votes).
void MajorityVote(const Answers& ans, const double* votes, double* out);

// One EM problem on `threads` threads; `init` is the Q*K starting posterior.
void RunEm(const Answers& ans, const EmOptions& opt, const double* init, int threads, EmOutput* out);

// Confusions counted on gold questions (truth[q] in [0,K) or -1 = skip) with
// additive smoothing; workers without any counted answer get the mean row of
// the others (uniform when nobody has one). counts[w] = counted answers.
void GoldConfusion(const Answers& ans, const int32_t* truth, double smoothing, double* confusion, double* counts);

// One scoring pass (an E-step) with the given prior [K] and confusion
// [W*K*A]; returns the log-likelihood of the answers.
double ScorePass(const Answers& ans, const double* prior, const double* confusion, int threads, double* posterior);
// The same pass over caller-given question blocks [starts[b], starts[b+1])
// (ascending, starts[0] = 0, starts[blocks] = Q; CheckBlockStarts): block b's
// log-likelihood goes to block_ll[b]. A shard of the sharded EM (src/cluster)
// uses the EM's own block bounds, so its per-block sums equal the
// single-machine ones.
void CheckBlockStarts(const int32_t* starts, int64_t length, int64_t Q);
void ScorePassBlocks(const Answers& ans, const double* prior, const double* confusion, int threads, double* posterior,
                     const int32_t* starts, int32_t blocks, double* block_ll);
// The same pass over caller-given question blocks [starts[b], starts[b+1])
// (ascending, starts[0] = 0, starts[blocks] = Q): block b's log-likelihood
// goes to block_ll[b]. A shard of the sharded EM (src/cluster) uses the EM's
// own block bounds, so its per-block sums equal the single-machine ones.
void ScorePassBlocks(const Answers& ans, const double* prior, const double* confusion, int threads, double* posterior,
                     const int32_t* starts, int32_t blocks, double* block_ll);

}  // namespace aggregate
}  // namespace realabel
