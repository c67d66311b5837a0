// The `prob` arithmetic of native/topk_math.h for the GPU: the same IEEE
// operations in the same order, as __host__ __device__ functions (nvcc does
// not let device code call the host-only inline functions or index the
// constexpr tables of that header). Built with --fmad=false, so the device
// code fuses nothing, like the CPU code (which has no fused multiply-add).
//
// This is a mirror, and mirrors drift: native/cuda/test/math_mirror.cc
// compiles this file as plain C++ and checks it bit for bit against
// topk_math.h on edge and random inputs (test/native/cuda.test.ts runs it
// without nvcc or a GPU). Change both files together.
#pragma once
#include <cstdint>
#include <cstring>

#ifdef __CUDACC__
#define RL_HD __host__ __device__ __forceinline__
#else
#include <cmath>
#define RL_HD inline
#endif

namespace realabel {
namespace cudamath {

constexpr double kLog2eX16 = 23.083120654223414;
constexpr double kShift = 6755399441055744.0;
constexpr double kLn2Hi = 0.69314718036912382;
constexpr double kLn2Lo = 1.9082149292705877e-10;
constexpr double kLn2Hi16 = 0.04332169877307024;
constexpr double kLn2Lo16 = 1.1926343307941173e-11;
constexpr double kSqrt2 = 1.4142135623730951;
constexpr double kExpFloor = -600.0;
constexpr int kLanes = 8;

RL_HD uint64_t Bits(double x) {
#ifdef __CUDA_ARCH__
  return static_cast<uint64_t>(__double_as_longlong(x));
#else
  uint64_t u;
  std::memcpy(&u, &x, sizeof u);
  return u;
#endif
}

RL_HD double FromBits(uint64_t u) {
#ifdef __CUDA_ARCH__
  return __longlong_as_double(static_cast<long long>(u));
#else
  double x;
  std::memcpy(&x, &u, sizeof x);
  return x;
#endif
}

// No fused multiply-add: the CPU code (and so the JS twin) rounds the product
// and the sum separately, and --fmad=false keeps nvcc from fusing this.
RL_HD double MulAdd(double a, double b, double c) { return a * b + c; }

// 2^(j/16), correctly rounded (a switch instead of a table: device code
// cannot index a host constexpr array, and constant memory would need a copy).
RL_HD double Exp2Sixteenth(uint64_t j) {
  switch (j & 15) {
    case 0: return 1.0;
    case 1: return 1.0442737824274138;
    case 2: return 1.0905077326652577;
    case 3: return 1.1387886347566916;
    case 4: return 1.189207115002721;
    case 5: return 1.241857812073484;
    case 6: return 1.2968395546510096;
    case 7: return 1.3542555469368927;
    case 8: return 1.4142135623730951;
    case 9: return 1.4768261459394993;
    case 10: return 1.5422108254079407;
    case 11: return 1.6104903319492543;
    case 12: return 1.681792830507429;
    case 13: return 1.7562521603732995;
    case 14: return 1.8340080864093424;
    default: return 1.9152065613971474;
  }
}

// topk_math::ExpParts.
RL_HD void ExpParts(double t, double* p_out, double* scale_out) {
  t = t > kExpFloor ? t : kExpFloor;
  double kd = MulAdd(t, kLog2eX16, kShift);
  const uint64_t kbits = Bits(kd);
  kd = kd - kShift;
  double r = MulAdd(-kd, kLn2Hi16, t);
  r = MulAdd(-kd, kLn2Lo16, r);
  // Horner with 1/n!, n = 6 .. 0 (topk_math::kExpC), unrolled.
  double p = 1.0 / 720.0;
  p = MulAdd(p, r, 1.0 / 120.0);
  p = MulAdd(p, r, 1.0 / 24.0);
  p = MulAdd(p, r, 1.0 / 6.0);
  p = MulAdd(p, r, 1.0 / 2.0);
  p = MulAdd(p, r, 1.0);
  p = MulAdd(p, r, 1.0);
  *p_out = p;
  *scale_out = FromBits(Bits(Exp2Sixteenth(kbits)) + (((kbits >> 4) & 0xfff) << 52));
}

RL_HD double ExpNonPositive(double t) {
  double p, scale;
  ExpParts(t, &p, &scale);
  return p * scale;
}

// topk_math::LogAtLeastOne.
RL_HD double LogAtLeastOne(double s) {
  const uint64_t u = Bits(s);
  int e = static_cast<int>((u >> 52) & 0x7ff) - 1023;
  double f = FromBits((u & 0x000fffffffffffffULL) | 0x3ff0000000000000ULL);
  if (f > kSqrt2) {
    f = f * 0.5;
    e = e + 1;
  }
  const double u1 = (f - 1.0) / (f + 1.0);
  const double u2 = u1 * u1;
  double q = 1.0 / 21.0;
  for (int i = 9; i >= 0; --i) q = q * u2 + 1.0 / static_cast<double>(2 * i + 1);
  const double lf = 2.0 * u1 * q;
  const double ed = static_cast<double>(e);
  return ed * kLn2Hi + (ed * kLn2Lo + lf);
}

// topk_math::AddExp.
RL_HD void AddExp(double t, double* acc) {
  double p, scale;
  ExpParts(t, &p, &scale);
  *acc = MulAdd(p, scale, *acc);
}

// topk_math::CombineLanes.
RL_HD double CombineLanes(const double* a) {
  return ((a[0] + a[1]) + (a[2] + a[3])) + ((a[4] + a[5]) + (a[6] + a[7]));
}

// The sum of lane `lane` of a row: x[j] for j = lane, lane + 8, ... in order
// (what topk_math::LseScalar accumulates in acc[lane]).
template <typename T>
RL_HD double LaneSum(const T* x, int64_t c, double m, int lane) {
  double acc = 0;
  for (int64_t j = lane; j < c; j += kLanes) AddExp(static_cast<double>(x[j]) - m, &acc);
  return acc;
}

// topk_math::LseScalar, lane by lane.
template <typename T>
RL_HD double LseScalar(const T* x, int64_t c, double m) {
  double acc[kLanes];
  for (int l = 0; l < kLanes; ++l) acc[l] = LaneSum(x, c, m, l);
  return m + LogAtLeastOne(CombineLanes(acc));
}

}  // namespace cudamath
}  // namespace realabel
