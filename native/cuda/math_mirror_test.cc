// Checks native/cuda/topk_math.cuh (the GPU's copy of the prob arithmetic)
// bit for bit against native/topk_math.h, compiled as plain C++ with
// -ffp-contract=off: the device build runs the same operations (nvcc
// --fmad=false), so a mismatch here means the GPU would select different
// pairs. Needs neither nvcc nor a GPU; test/native/cuda.test.ts runs it.
// Prints one JSON line; exits 1 on the first mismatch.
#include <cinttypes>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <limits>
#include <random>
#include <vector>

#include "../topk_math.h"
#include "topk_math.cuh"

namespace cpu = realabel::topk_math;
namespace gpu = realabel::cudamath;

static uint64_t Bits(double x) {
  uint64_t u;
  std::memcpy(&u, &x, sizeof u);
  return u;
}

static int Fail(const char* what, double in, double want, double got) {
  std::printf("{\"ok\":false,\"what\":\"%s\",\"input\":%.17g,\"cpu\":%.17g,\"gpu\":%.17g}\n", what, in, want, got);
  return 1;
}

int main() {
  std::mt19937_64 rng(12345);
  std::uniform_real_distribution<double> wide(-700.0, 0.0), narrow(-2.0, 0.0), sums(1.0, 1e6);
  std::vector<double> ts = {0.0, -0.0, -1e-300, -1e-17, -0.5, -1.0, -600.0, -600.5, -745.0, -1e300,
                            -std::numeric_limits<double>::max()};
  for (int i = 0; i < 200000; ++i) ts.push_back(i % 2 ? wide(rng) : narrow(rng));
  int64_t checks = 0;
  for (double t : ts) {
    double p1, s1, p2, s2;
    cpu::ExpParts(t, &p1, &s1);
    gpu::ExpParts(t, &p2, &s2);
    if (Bits(p1) != Bits(p2)) return Fail("ExpParts.p", t, p1, p2);
    if (Bits(s1) != Bits(s2)) return Fail("ExpParts.scale", t, s1, s2);
    double a1 = 0.25, a2 = 0.25;
    cpu::AddExp(t, &a1);
    gpu::AddExp(t, &a2);
    if (Bits(a1) != Bits(a2)) return Fail("AddExp", t, a1, a2);
    ++checks;
  }
  std::vector<double> ss = {1.0, std::nextafter(1.0, 2.0), 1.4142135623730951, 1.4142135623730954, 2.0, 8.0, 1e300};
  for (int i = 0; i < 200000; ++i) ss.push_back(i % 2 ? sums(rng) : 1.0 + narrow(rng) * -0.5);
  for (double s : ss) {
    const double l1 = cpu::LogAtLeastOne(s), l2 = gpu::LogAtLeastOne(s);
    if (Bits(l1) != Bits(l2)) return Fail("LogAtLeastOne", s, l1, l2);
    ++checks;
  }
  // Whole rows, float and double, including rows far beyond the exp clamp.
  std::normal_distribution<double> logit(0.0, 3.0);
  for (int r = 0; r < 2000; ++r) {
    const int64_t c = 1 + static_cast<int64_t>(rng() % 1500);
    const double spread = r % 10 == 0 ? 1000.0 : 1.0;
    std::vector<float> xf(static_cast<size_t>(c));
    std::vector<double> xd(static_cast<size_t>(c));
    for (int64_t j = 0; j < c; ++j) {
      xd[j] = logit(rng) * spread;
      xf[j] = static_cast<float>(xd[j]);
    }
    double mf = xf[0], md = xd[0];
    for (int64_t j = 1; j < c; ++j) {
      mf = xf[j] > mf ? xf[j] : mf;
      md = xd[j] > md ? xd[j] : md;
    }
    const double lf1 = cpu::LseScalar(xf.data(), c, mf), lf2 = gpu::LseScalar(xf.data(), c, mf);
    if (Bits(lf1) != Bits(lf2)) return Fail("LseScalar<float>", static_cast<double>(c), lf1, lf2);
    const double ld1 = cpu::LseScalar(xd.data(), c, md), ld2 = gpu::LseScalar(xd.data(), c, md);
    if (Bits(ld1) != Bits(ld2)) return Fail("LseScalar<double>", static_cast<double>(c), ld1, ld2);
    checks += 2;
  }
  std::printf("{\"ok\":true,\"checks\":%" PRId64 "}\n", checks);
  return 0;
}
