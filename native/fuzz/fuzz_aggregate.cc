// libFuzzer entry: the aggregation kernels (aggregate_core.h) behind the checks the
// bindings run (CheckSizes, CheckAnswers, CheckCount, CheckFinite, ...), on
// lying sizes and out-of-range answers. Accepted calls must run clean under
// ASan/UBSan, give the same bytes on 1 and 3 threads, and (majority vote,
// gold confusion) match a direct computation.
#include <cmath>
#include <cstring>
#include <vector>

#include "../aggregate_core.h"
#include "fuzz_util.h"

using namespace realabel;
using realabel::fuzz::Claim;

namespace {

// The harness's own memory cap: validation passes sizes far larger than a
// fuzzing process should allocate (the bindings allocate them in V8).
constexpr int64_t kMaxCells = 1 << 16;

std::vector<int32_t> Indices(FuzzedDataProvider& fdp, int64_t len, int32_t hi) {
  std::vector<int32_t> v(static_cast<size_t>(len));
  for (int32_t& x : v) {
    x = fdp.ConsumeIntegralInRange<int>(0, 31) == 0 ? static_cast<int32_t>(Claim(fdp, hi)) : fdp.ConsumeIntegralInRange<int32_t>(0, hi > 0 ? hi - 1 : 0);
  }
  return v;
}

std::vector<double> Probabilities(FuzzedDataProvider& fdp, int64_t len, bool lie) {
  std::vector<double> v(static_cast<size_t>(len));
  for (double& x : v) {
    const uint8_t b = fdp.ConsumeIntegral<uint8_t>();
    x = lie && b == 255 ? -1.0 : lie && b == 254 ? NAN : b >= 200 ? 0.0 : b / 199.0;
  }
  return v;
}

bool SameBytes(const double* a, const double* b, size_t n) { return n == 0 || std::memcmp(a, b, n * sizeof(double)) == 0; }

void CheckRowsSumToOne(const double* x, int64_t rows, int64_t width) {
  for (int64_t r = 0; r < rows; ++r) {
    double s = 0;
    for (int64_t j = 0; j < width; ++j) {
      FUZZ_EXPECT(std::isfinite(x[r * width + j]) && x[r * width + j] >= 0);
      s += x[r * width + j];
    }
    FUZZ_EXPECT(std::fabs(s - 1) < 1e-9);
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  FuzzedDataProvider fdp(data, size);
  const int entry = fdp.ConsumeIntegralInRange<int>(0, 3);  // mv, em, gold, score
  const int64_t Q0 = fdp.ConsumeIntegralInRange<int64_t>(0, 12), W0 = fdp.ConsumeIntegralInRange<int64_t>(0, 6);
  const int64_t A0 = fdp.ConsumeIntegralInRange<int64_t>(1, 4), K0 = fdp.ConsumeIntegralInRange<int64_t>(1, 4);
  const int64_t n0 = fdp.ConsumeIntegralInRange<int64_t>(0, 40);
  const int64_t Q = Claim(fdp, Q0), W = Claim(fdp, W0), A = Claim(fdp, A0), K = Claim(fdp, K0);
  const int64_t qLen = Claim(fdp, n0) & 0x7f, wLen = Claim(fdp, n0) & 0x7f, aLen = Claim(fdp, n0) & 0x7f;
  std::vector<int32_t> q = Indices(fdp, qLen, static_cast<int32_t>(Q0)), w = Indices(fdp, wLen, static_cast<int32_t>(W0)),
                       a = Indices(fdp, aLen, static_cast<int32_t>(A0));
  const bool lie = fdp.ConsumeBool();
  try {
    aggregate::CheckSizes(Q, entry == 0 ? 0 : W, A, K);
  } catch (const ArgError&) {
    return 0;
  }
  aggregate::Answers ans{q.data(), w.data(), a.data(), 0, static_cast<int32_t>(Q), static_cast<int32_t>(entry == 0 ? 0 : W),
                   static_cast<int32_t>(A), static_cast<int32_t>(K)};
  const int threads = fdp.ConsumeIntegralInRange<int>(2, 3);
  if (Q * K > kMaxCells || (entry != 0 && W * K * A > kMaxCells)) return 0;
  try {
    if (entry == 0) {
      std::vector<double> votes = Probabilities(fdp, Claim(fdp, A * K) & 0xff, lie);
      aggregate::CheckCount("votes", static_cast<int64_t>(votes.size()), A * K, "numAnswers * numClasses");
      aggregate::CheckFinite("votes", votes.data(), static_cast<int64_t>(votes.size()), true);
      aggregate::CheckAnswers("answers", &ans, qLen, -1, aLen);
      std::vector<double> out(static_cast<size_t>(Q * K), -1);
      aggregate::MajorityVote(ans, votes.data(), out.data());
      std::vector<double> t(static_cast<size_t>(Q * K), 0);
      for (int64_t i = 0; i < ans.n; ++i) {
        for (int64_t k = 0; k < K; ++k) t[q[i] * K + k] += votes[a[i] * K + k];
      }
      for (int64_t r = 0; r < Q; ++r) {
        double s = 0;
        for (int64_t k = 0; k < K; ++k) s += t[r * K + k];
        for (int64_t k = 0; k < K; ++k) FUZZ_EXPECT(out[r * K + k] == (s > 0 ? t[r * K + k] / s : 1.0 / K));
      }
    } else if (entry == 1) {
      aggregate::EmOptions opt;
      opt.method = static_cast<aggregate::Method>(fdp.ConsumeIntegralInRange<int>(0, 1));
      opt.max_iter = fdp.ConsumeIntegralInRange<int32_t>(0, 25);
      opt.tol = fdp.ConsumeBool() ? 0 : 1e-6;
      opt.smoothing = fdp.ConsumeIntegralInRange<int>(0, 2) * 0.5;
      std::vector<int32_t> match(static_cast<size_t>(Claim(fdp, A) & 0xf));
      for (int32_t& m : match) m = fdp.ConsumeIntegralInRange<int32_t>(-2, static_cast<int32_t>(K));
      opt.match = match.data();
      aggregate::CheckEmOptions(opt, A, K, static_cast<int64_t>(match.size()));
      aggregate::CheckAnswers("problems[0]", &ans, qLen, wLen, aLen);
      std::vector<double> init = Probabilities(fdp, Claim(fdp, Q * K) & 0xff, lie);
      aggregate::CheckCount("problems[0].init", static_cast<int64_t>(init.size()), Q * K, "numQuestions * numClasses");
      aggregate::CheckFinite("problems[0].init", init.data(), static_cast<int64_t>(init.size()), true);
      std::vector<double> post[2], conf[2], prior[2], skill[2];
      aggregate::EmOutput out[2];
      for (int r = 0; r < 2; ++r) {
        post[r].assign(static_cast<size_t>(Q * K), -1);
        conf[r].assign(static_cast<size_t>(W * K * A), -1);
        prior[r].assign(static_cast<size_t>(K), -1);
        skill[r].assign(static_cast<size_t>(W), -1);
        out[r].posterior = post[r].data();
        out[r].confusion = conf[r].data();
        out[r].prior = prior[r].data();
        out[r].skill = skill[r].data();
        aggregate::RunEm(ans, opt, init.data(), r == 0 ? 1 : threads, &out[r]);
      }
      FUZZ_EXPECT(SameBytes(post[0].data(), post[1].data(), post[0].size()));
      FUZZ_EXPECT(SameBytes(conf[0].data(), conf[1].data(), conf[0].size()));
      FUZZ_EXPECT(SameBytes(prior[0].data(), prior[1].data(), prior[0].size()));
      FUZZ_EXPECT(out[0].log_likelihood == out[1].log_likelihood && out[0].iterations == out[1].iterations);
      FUZZ_EXPECT(out[0].iterations <= opt.max_iter);
    } else if (entry == 2) {
      std::vector<int32_t> truth(static_cast<size_t>(Q));
      for (int32_t& t : truth) t = fdp.ConsumeIntegralInRange<int32_t>(lie ? -2 : -1, static_cast<int32_t>(lie ? K : K - 1));
      const double smoothing = lie && fdp.ConsumeBool() ? -0.5 : fdp.ConsumeIntegralInRange<int>(0, 2) * 0.5;
      aggregate::CheckSmoothing(smoothing);
      aggregate::CheckTruth(truth.data(), Q, K);
      aggregate::CheckAnswers("gold answers", &ans, qLen, wLen, aLen);
      std::vector<double> conf(static_cast<size_t>(W * K * A), -1), counts(static_cast<size_t>(W), -1);
      aggregate::GoldConfusion(ans, truth.data(), smoothing, conf.data(), counts.data());
      CheckRowsSumToOne(conf.data(), W * K, A);
      std::vector<double> expect(static_cast<size_t>(W), 0);
      for (int64_t i = 0; i < ans.n; ++i) expect[w[i]] += truth[q[i]] >= 0;
      FUZZ_EXPECT(counts == expect);
    } else {
      std::vector<double> prior = Probabilities(fdp, K, lie);
      std::vector<double> conf = Probabilities(fdp, Claim(fdp, W * K * A) & 0xff, lie);
      aggregate::CheckCount("confusion", static_cast<int64_t>(conf.size()), W * K * A, "numWorkers * numClasses * numAnswers");
      aggregate::CheckFinite("prior", prior.data(), K, true);
      aggregate::CheckFinite("confusion", conf.data(), static_cast<int64_t>(conf.size()), true);
      aggregate::CheckAnswers("answers", &ans, qLen, wLen, aLen);
      std::vector<double> p1(static_cast<size_t>(Q * K), -1), p3(p1);
      const double ll1 = aggregate::ScorePass(ans, prior.data(), conf.data(), 1, p1.data());
      const double ll3 = aggregate::ScorePass(ans, prior.data(), conf.data(), threads, p3.data());
      FUZZ_EXPECT(SameBytes(p1.data(), p3.data(), p1.size()));
      FUZZ_EXPECT(SameBytes(&ll1, &ll3, 1));
    }
  } catch (const ArgError&) {
    return 0;
  }
  return 0;
}
