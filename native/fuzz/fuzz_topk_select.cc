// libFuzzer entry: exact top-K selection (topk_core.h). Runs the bindings'
// checks on lying sizes, then every accepted selection three ways (one push;
// chunked pushes; scalar ISA on other threads) and requires identical
// results. Logit selections are also compared with a full stable sort; a
// non-finite value must be reported at its first (row, column).
#include <algorithm>
#include <cmath>
#include <numeric>
#include <string>
#include <vector>

#include "../topk_core.h"
#include "fuzz_util.h"

using namespace realabel;
using realabel::fuzz::Claim;

struct Outcome {
  std::vector<topk::Cand> best;
  std::string error;
};

template <typename T>
static Outcome Select(const std::vector<T>& x, int64_t n, int64_t c, int64_t k, topk::Criterion crit, int threads,
                      topk_rows::Isa isa, const std::vector<int64_t>& chunks) {
  Outcome o;
  try {
    topk::Selector s(c, k, crit, threads, isa);
    int64_t row = 0;
    for (size_t i = 0; i < chunks.size(); ++i) {
      topk::CheckPush(s.rows_seen(), c, chunks[i], static_cast<int64_t>(x.size()) - row * c);
      s.Push(x.data() + row * c, chunks[i], i + 1 == chunks.size());
      row += chunks[i];
    }
    FUZZ_EXPECT(row == n);
    o.best = s.Finish();
  } catch (const DataError& e) {
    o.error = e.what();
  } catch (const ArgError& e) {  // k beyond the rows pushed (Finish)
    o.error = e.what();
  }
  return o;
}

template <typename T>
static void Run(FuzzedDataProvider& fdp) {
  const int64_t n0 = fdp.ConsumeIntegralInRange<int64_t>(0, 40);
  const int64_t c0 = fdp.ConsumeIntegralInRange<int64_t>(1, 40);
  const int64_t total = n0 * c0;
  const int64_t k0 = total ? fdp.ConsumeIntegralInRange<int64_t>(1, total) : 1;
  const int64_t n = Claim(fdp, n0), c = Claim(fdp, c0), k = Claim(fdp, k0);
  const int64_t length = Claim(fdp, total) & 0x1fff;
  const int64_t crit = fdp.ConsumeIntegralInRange<int64_t>(-1, 2);
  const bool nonFinite = fdp.ConsumeIntegralInRange<int>(0, 7) == 0;
  std::vector<T> x(static_cast<size_t>(length));
  for (T& v : x) v = fuzz::Value<T>(fdp, nonFinite);
  // The stream binding's checks (K is only bounded by 2^53 until finish).
  bool streamOk = true;
  try {
    topk::CheckStream(c, k, crit);
  } catch (const ArgError&) {
    streamOk = false;
  }
  try {
    topk::CheckSelect(length, n, c, k, crit);
  } catch (const ArgError&) {
    return;
  }
  FUZZ_EXPECT(streamOk);
  FUZZ_EXPECT(length == n * c && k >= 1 && k <= n * c && (crit == 0 || crit == 1));
  const auto criterion = static_cast<topk::Criterion>(crit);
  std::vector<int64_t> one{n}, chunks;
  for (int64_t left = n; left > 0;) {
    const int64_t r = fdp.ConsumeIntegralInRange<int64_t>(0, left);  // empty chunks too
    chunks.push_back(r);
    left -= r;
    if (chunks.size() > 64) chunks.push_back(left), left = 0;
  }
  chunks.push_back(0);
  const int threads = fdp.ConsumeIntegralInRange<int>(1, 3);
  const Outcome a = Select(x, n, c, k, criterion, 1, topk_rows::ResolveIsa(0), one);
  const Outcome b = Select(x, n, c, k, criterion, threads, topk_rows::ResolveIsa(0), chunks);
  const Outcome s = Select(x, n, c, k, criterion, 4 - threads, topk_rows::kScalar, chunks);
  FUZZ_EXPECT(a.error == b.error && a.error == s.error);
  FUZZ_EXPECT(a.best.size() == b.best.size() && a.best.size() == s.best.size());
  for (size_t i = 0; i < a.best.size(); ++i) {
    FUZZ_EXPECT(a.best[i].idx == b.best[i].idx && a.best[i].idx == s.best[i].idx);
    FUZZ_EXPECT(a.best[i].key == b.best[i].key && a.best[i].key == s.best[i].key);
  }
  int64_t bad = -1;
  for (int64_t i = 0; i < length && bad < 0; ++i) {
    if (!std::isfinite(x[i])) bad = i;
  }
  if (bad >= 0) {
    const std::string where = "row " + std::to_string(bad / c) + ", column " + std::to_string(bad % c) + " is ";
    FUZZ_EXPECT(a.error.compare(0, where.size(), where) == 0);
    return;
  }
  FUZZ_EXPECT(a.error.empty() && static_cast<int64_t>(a.best.size()) == k);
  if (criterion != topk::kLogit) {
    for (size_t i = 1; i < a.best.size(); ++i) {
      FUZZ_EXPECT(a.best[i - 1].key > a.best[i].key || (a.best[i - 1].key == a.best[i].key && a.best[i - 1].idx < a.best[i].idx));
    }
    return;
  }
  std::vector<int64_t> order(static_cast<size_t>(length));
  std::iota(order.begin(), order.end(), 0);
  std::stable_sort(order.begin(), order.end(), [&](int64_t p, int64_t q) { return x[p] > x[q]; });
  for (int64_t i = 0; i < k; ++i) {
    FUZZ_EXPECT(a.best[i].idx == order[i]);
    FUZZ_EXPECT(a.best[i].key == static_cast<double>(x[order[i]]) + 0.0);
  }
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  FuzzedDataProvider fdp(data, size);
  if (fdp.ConsumeBool()) {
    Run<float>(fdp);
  } else {
    Run<double>(fdp);
  }
  return 0;
}
