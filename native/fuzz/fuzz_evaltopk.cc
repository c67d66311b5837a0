// libFuzzer entry: per-row top-k of evaluate (evaltopk_core.h). Checks the
// core's validation against lying n, c, k and buffer lengths, and the result
// of every accepted call against a stable sort (higher first, ties to the
// lower class index; the first row holding NaN is reported instead).
#include <algorithm>
#include <numeric>
#include <vector>

#include "../evaltopk_core.h"
#include "fuzz_util.h"

using namespace realabel;
using realabel::fuzz::Claim;

template <typename T>
static void Run(FuzzedDataProvider& fdp) {
  // Sometimes valid but extreme: no rows, so any c and k <= c fit the empty buffers.
  const bool empty = fdp.ConsumeIntegralInRange<int>(0, 7) == 0;
  const int64_t n0 = empty ? 0 : fdp.ConsumeIntegralInRange<int64_t>(0, 24);
  const int64_t c0 = empty ? fdp.ConsumeIntegralInRange<int64_t>(1, INT32_MAX) : fdp.ConsumeIntegralInRange<int64_t>(1, 48);
  const int64_t k0 = fdp.ConsumeIntegralInRange<int64_t>(1, c0);
  const int64_t n = Claim(fdp, n0), c = Claim(fdp, c0), k = Claim(fdp, k0);
  const int64_t length = Claim(fdp, n0 * c0) & 0xfff;  // the buffers really held: small
  const int64_t outLength = Claim(fdp, n0 * k0) & 0xfff;
  const int threads = fdp.ConsumeIntegralInRange<int>(1, 3);
  const bool nan = fdp.ConsumeBool();
  std::vector<T> scores(static_cast<size_t>(length));
  for (T& v : scores) v = fuzz::Value<T>(fdp, nan);
  std::vector<int32_t> out(static_cast<size_t>(outLength), -7);
  try {
    evaltopk::CheckTopkRows(length, n, c, k, outLength);
  } catch (const ArgError&) {
    return;
  }
  // Accepted: the claims must be exactly the buffers' sizes.
  FUZZ_EXPECT(n * c == length && n * k == outLength && k >= 1 && k <= c);
  const int64_t bad = evaltopk::TopkRows(scores.data(), n, c, k, out.data(), threads);
  int64_t firstNan = -1;
  for (int64_t i = 0; i < length && firstNan < 0; ++i) {
    if (scores[i] != scores[i]) firstNan = i / c;
  }
  FUZZ_EXPECT(bad == firstNan);
  if (bad >= 0 || n == 0) return;  // with n = 0, any c in range is valid and nothing is read
  std::vector<int32_t> order(static_cast<size_t>(c));
  for (int64_t i = 0; i < n; ++i) {
    const T* row = scores.data() + i * c;
    std::iota(order.begin(), order.end(), 0);
    std::stable_sort(order.begin(), order.end(), [&](int32_t a, int32_t b) { return row[a] > row[b]; });
    for (int64_t j = 0; j < k; ++j) FUZZ_EXPECT(out[i * k + j] == order[j]);
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
