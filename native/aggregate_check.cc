// Argument checks of the aggregation kernels (aggregate_core.h), shared by
// the bindings (aggregate.cc) and the fuzz entry.
#include <cmath>
#include <string>

#include "aggregate_core.h"

namespace realabel {
namespace aggregate {

void CheckSizes(int64_t Q, int64_t W, int64_t A, int64_t K) {
  CheckRange("numQuestions", Q, 0, INT32_MAX);
  CheckRange("numWorkers", W, 0, INT32_MAX);
  CheckRange("numAnswers", A, 1, 1 << 16);
  CheckRange("numClasses", K, 1, 1 << 16);
  if (W * A > INT32_MAX) throw ArgError("numWorkers * numAnswers is too large");
  if (W * A * K > kMaxParams) throw ArgError("numWorkers * numClasses * numAnswers is too large");
  if (Q * K > (int64_t{1} << 40)) throw ArgError("numQuestions * numClasses is too large");
}

void CheckAnswers(const std::string& what, Answers* ans, int64_t qLen, int64_t wLen, int64_t aLen) {
  const bool hasW = wLen >= 0;
  if (aLen != qLen || (hasW && wLen != qLen)) {
    throw ArgError(what + ": question, worker and answer arrays differ in length");
  }
  const auto out = [&](const char* name, int64_t i, int32_t v, int64_t hi) {
    return ArgError(what + ": " + name + "[" + std::to_string(i) + "] = " + std::to_string(v) + " is out of range [0, " +
                    std::to_string(hi) + ")");
  };
  for (int64_t i = 0; i < qLen; ++i) {
    if (ans->q[i] < 0 || ans->q[i] >= ans->Q) throw out("question", i, ans->q[i], ans->Q);
    if (ans->a[i] < 0 || ans->a[i] >= ans->A) throw out("answer", i, ans->a[i], ans->A);
    if (hasW && (ans->w[i] < 0 || ans->w[i] >= ans->W)) throw out("worker", i, ans->w[i], ans->W);
  }
  ans->n = qLen;
}

void CheckCount(const std::string& what, int64_t actual, int64_t expected, const char* formula) {
  if (actual != expected) throw ArgError(what + ": expected " + formula + " values");
}

void CheckFinite(const std::string& what, const double* x, int64_t n, bool nonneg) {
  for (int64_t i = 0; i < n; ++i) {
    if (!std::isfinite(x[i]) || (nonneg && x[i] < 0)) {
      throw ArgError(what + "[" + std::to_string(i) + "] = " + std::to_string(x[i]) + " is not a finite" +
                     (nonneg ? " non-negative" : "") + " number");
    }
  }
}

void CheckEmOptions(const EmOptions& opt, int64_t A, int64_t K, int64_t matchLen) {
  CheckRange("options.method", static_cast<int64_t>(opt.method), 0, 1);
  CheckRange("options.maxIter", opt.max_iter, 0, 100000000);
  CheckRange("options.stopRule", static_cast<int64_t>(opt.stop), 0, 1);
  if (!std::isfinite(opt.tol) || opt.tol < 0) throw ArgError("options.tol must be a finite number >= 0");
  if (!std::isfinite(opt.smoothing) || opt.smoothing < 0) throw ArgError("options.smoothing must be a finite number >= 0");
  if (opt.method != Method::kOneCoin) return;
  if (A < 2) throw ArgError("options.numAnswers must be >= 2 for one-coin");
  if (!opt.match || matchLen != A) throw ArgError("options.match: expected numAnswers values");
  for (int64_t i = 0; i < A; ++i) {
    if (opt.match[i] < -1 || opt.match[i] >= K) throw ArgError("options.match[" + std::to_string(i) + "] is out of range [-1, numClasses)");
  }
}

void CheckTruth(const int32_t* truth, int64_t Q, int64_t K) {
  for (int64_t i = 0; i < Q; ++i) {
    if (truth[i] < -1 || truth[i] >= K) {
      throw ArgError("truth[" + std::to_string(i) + "] = " + std::to_string(truth[i]) + " is out of range [-1, " +
                     std::to_string(K) + ")");
    }
  }
}

void CheckSmoothing(double smoothing) {
  if (!std::isfinite(smoothing) || smoothing < 0) throw ArgError("smoothing must be a finite number >= 0");
}

void CheckOutput(const std::string& what, int64_t values, int64_t given) {
  // values <= 2^62 (products of checked sizes), given <= 2^53: no overflow.
  if (values > kOutputSlack + kOutputFactor * given) {
    throw ArgError(what + " = " + std::to_string(values) + " values is too large for the " + std::to_string(given) +
                   " values given (at most " + std::to_string(kOutputSlack) + " + " + std::to_string(kOutputFactor) +
                   " per value given)");
  }
}

void CheckEmWork(const std::string& what, const Answers& ans, const EmOptions& opt, int64_t initLen) {
  const int64_t given = 3 * ans.n + initLen;
  const int64_t AK = int64_t{ans.A} * ans.K;
  CheckOutput(what + ": numWorkers * numClasses * numAnswers", int64_t{ans.W} * AK, given);
  if (opt.method == Method::kDawidSkene) CheckOutput(what + ": numClasses * numAnswers", AK, given);
}

}  // namespace aggregate
}  // namespace realabel
