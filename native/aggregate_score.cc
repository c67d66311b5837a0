// Majority vote, gold-calibrated confusions and one scoring pass
// (aggregate_core.h), mirrored by src/aggregate/mv-ts.ts and gold-ts.ts.
#include <algorithm>
#include <atomic>
#include <cmath>
#include <vector>

#include "aggregate_core.h"
#include "aggregate_estep.h"
#include "parallel.h"

namespace realabel {
namespace aggregate {

using namespace estep;

void MajorityVote(const Answers& ans, const double* votes, double* out) {
  const int32_t K = ans.K;
  std::fill(out, out + static_cast<int64_t>(ans.Q) * K, 0.0);
  for (int64_t i = 0; i < ans.n; ++i) {
    const double* v = votes + static_cast<int64_t>(ans.a[i]) * K;
    double* t = out + static_cast<int64_t>(ans.q[i]) * K;
    for (int32_t k = 0; k < K; ++k) t[k] += v[k];
  }
  for (int32_t q = 0; q < ans.Q; ++q) {
    double* t = out + static_cast<int64_t>(q) * K;
    double s = 0;
    for (int32_t k = 0; k < K; ++k) s += t[k];
    for (int32_t k = 0; k < K; ++k) t[k] = s > 0 ? t[k] / s : 1.0 / K;
  }
}

void GoldConfusion(const Answers& ans, const int32_t* truth, double smoothing, double* confusion, double* counts) {
  const int32_t K = ans.K, A = ans.A, W = ans.W;
  const int64_t KA = static_cast<int64_t>(K) * A;
  std::fill(confusion, confusion + W * KA, 0.0);
  std::fill(counts, counts + W, 0.0);
  for (int64_t i = 0; i < ans.n; ++i) {
    const int32_t k = truth[ans.q[i]];
    if (k < 0) continue;
    confusion[ans.w[i] * KA + static_cast<int64_t>(k) * A + ans.a[i]] += 1;
    counts[ans.w[i]] += 1;
  }
  int32_t with = 0;
  for (int32_t w = 0; w < W; ++w) {
    if (counts[w] == 0) continue;
    ++with;
    for (int32_t k = 0; k < K; ++k) {
      double* row = confusion + w * KA + static_cast<int64_t>(k) * A;
      double denom = 0;
      for (int32_t a = 0; a < A; ++a) denom += row[a];
      denom += A * smoothing;
      for (int32_t a = 0; a < A; ++a) row[a] = denom > 0 ? (row[a] + smoothing) / denom : 1.0 / A;
    }
  }
  // Mean of the calibrated rows, summed in worker order.
  std::vector<double> mean(static_cast<size_t>(KA), 0);
  for (int32_t w = 0; w < W; ++w) {
    if (counts[w] == 0) continue;
    for (int64_t j = 0; j < KA; ++j) mean[j] += confusion[w * KA + j];
  }
  for (int64_t j = 0; j < KA; ++j) mean[j] = with > 0 ? mean[j] / with : 1.0 / A;
  for (int32_t w = 0; w < W; ++w) {
    if (counts[w] != 0) continue;
    std::copy(mean.begin(), mean.end(), confusion + w * KA);
  }
}

double ScorePass(const Answers& ans, const double* prior, const double* confusion, int threads, double* posterior) {
  constexpr int kBlocks = 64;
  std::vector<int32_t> starts(kBlocks + 1);
  for (int b = 0; b <= kBlocks; ++b) starts[b] = static_cast<int32_t>(BlockStart(ans.Q, b, kBlocks));
  std::vector<double> bll(kBlocks, 0);
  ScorePassBlocks(ans, prior, confusion, threads, posterior, starts.data(), kBlocks, bll.data());
  double ll = 0;
  for (int b = 0; b < kBlocks; ++b) ll += bll[b];
  return ll;
}

void CheckBlockStarts(const int32_t* starts, int64_t length, int64_t Q) {
  const int64_t nb = length - 1;
  if (nb < 1 || starts[0] != 0 || starts[nb] != Q) throw ArgError("blockStarts: expected 0, ..., numQuestions");
  for (int64_t b = 0; b < nb; ++b) {
    if (starts[b + 1] < starts[b]) throw ArgError("blockStarts: must not decrease");
  }
}

void ScorePassBlocks(const Answers& ans, const double* prior, const double* confusion, int threads, double* posterior,
                     const int32_t* starts, int32_t kBlocks, double* bll) {
  const int32_t K = ans.K, A = ans.A;
  const Csr csr = QuestionCsr(ans);
  std::vector<double> prob(static_cast<size_t>(ans.W) * A * K), logc, logp;
  double minpos = 1;
  for (int32_t w = 0; w < ans.W; ++w) {
    for (int32_t k = 0; k < K; ++k) {
      for (int32_t a = 0; a < A; ++a) {
        const double p = confusion[(static_cast<int64_t>(w) * K + k) * A + a];
        prob[(static_cast<size_t>(w) * A + a) * K + k] = p;
        if (p > 0 && p < minpos) minpos = p;
      }
    }
  }
  for (int32_t k = 0; k < K; ++k) {
    if (prior[k] > 0 && prior[k] < minpos) minpos = prior[k];
  }
  Params prm;
  prm.K = K;
  prm.prob = prob.data();
  prm.prior = prior;
  prm.log_domain = minpos < kLogDomainBelow;
  std::vector<int32_t> emin(static_cast<size_t>(ans.W) * A);
  prm.emin = emin.data();
  if (K == 2) prm.emin_floor = RowExponents(prob.data(), static_cast<int64_t>(ans.W) * A, K, prior, emin.data());
  if (prm.log_domain) {
    logc.resize(prob.size());
    logp.resize(K);
    for (size_t j = 0; j < prob.size(); ++j) logc[j] = std::log(prob[j]);
    for (int32_t k = 0; k < K; ++k) logp[k] = std::log(prior[k]);
    prm.logc = logc.data();
    prm.logp = logp.data();
  }
  std::vector<double> psum(static_cast<size_t>(kBlocks) * K, 0);
  threads = std::max(1, std::min<int>(threads, std::max<int32_t>(kBlocks, 1)));
  std::atomic<int> next_block{0};
  auto work = [&](int) {
    std::vector<double> p(K);
    for (int b; (b = next_block.fetch_add(1)) < kBlocks && !AbortRequested();) {
      bll[b] = EStepAnyK<Sink::kNone>(csr, starts[b], starts[b + 1], prm, nullptr, posterior, psum.data() + static_cast<size_t>(b) * K,
                                  SinkArgs{}, p.data())
                   .ll;
    }
  };
  if (threads == 1) {
    work(0);
  } else {
    RunTeam(threads, work);
  }
  CheckAbort();
}

}  // namespace aggregate
}  // namespace realabel
