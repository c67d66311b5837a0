// Standalone check of native/evaltopk_core.h (no Node): random small matrices
// with many ties, ±inf and one NaN, against a stable sort, for float and
// double and 1-4 threads. Built and run by topk-native.test.ts; to run it
// under sanitizers by hand:
//   g++ -std=c++17 -O1 -g -fsanitize=address,undefined -Inative test/evaluate/native/topk-check.cc -pthread && ./a.out
//   g++ -std=c++17 -O1 -g -fsanitize=thread -Inative test/evaluate/native/topk-check.cc -pthread && ./a.out
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <random>

#include "evaltopk_core.h"

template <typename T>
void Reference(const T* s, int64_t c, int64_t k, int32_t* out) {
  std::vector<int32_t> idx(c);
  for (int64_t j = 0; j < c; ++j) idx[j] = static_cast<int32_t>(j);
  std::stable_sort(idx.begin(), idx.end(), [&](int32_t a, int32_t b) { return s[a] > s[b]; });
  std::copy(idx.begin(), idx.begin() + k, out);
}

int main() {
  using realabel::evaltopk::TopkRows;
  std::mt19937 g(1);
  long bad = 0;
  for (int it = 0; it < 4000; ++it) {
    const int64_t n = g() % 40, c = 1 + g() % 90, k = 1 + g() % c;
    const int threads = 1 + g() % 4;
    std::vector<float> s(n * c);
    for (auto& v : s) v = static_cast<float>(g() % 5) - (g() % 50 == 0 ? INFINITY : 0.0f);
    std::vector<int32_t> out(n * k), ref(k), out64(n * k);
    if (TopkRows(s.data(), n, c, k, out.data(), threads) != -1) ++bad;
    for (int64_t i = 0; i < n; ++i) {
      Reference(s.data() + i * c, c, k, ref.data());
      for (int64_t r = 0; r < k; ++r) bad += out[i * k + r] != ref[r];
    }
    std::vector<double> d(s.begin(), s.end());
    TopkRows(d.data(), n, c, k, out64.data(), threads);
    bad += out64 != out;
    if (n > 0) {
      const int64_t row = g() % n;
      s[row * c + g() % c] = NAN;
      bad += TopkRows(s.data(), n, c, k, out.data(), threads) != row;
    }
  }
  std::printf("mismatches %ld\n", bad);
  return bad != 0;
}
