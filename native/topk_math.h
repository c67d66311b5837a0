// The exact arithmetic of the `prob` criterion, shared by every native code
// path and mirrored operation by operation in src/topk/topk-math.ts. Only
// IEEE +, -, *, / (each rounded once) and exact bit manipulation are used: no
// libm exp/log and no fused multiply-add, which JavaScript does not have (the
// build passes -ffp-contract=off so the compiler fuses nothing either). So
// every SIMD path and the twin round identically.
//
//   lse(row) = m + LogAtLeastOne(s),  m = max(row),
//   s        = lane sums, acc[j % 8] = p_j * scale_j + acc[j % 8], then a fixed tree,
//              where exp(x_j - m) = p_j * scale_j (ExpParts),
//   key      = x - lse,  prob = float(ExpNonPositive(key)).
#pragma once
#include <cmath>
#include <cstdint>
#include <cstring>

namespace realabel {
namespace topk_math {

constexpr double kLog2eX16 = 23.083120654223414;  // 16 / ln 2
constexpr double kShift = 6755399441055744.0;     // 1.5 * 2^52: adding it rounds to an integer
constexpr double kLn2Hi = 0.69314718036912382;    // 0x3fe62e42fee00000 (low 32 bits zero)
constexpr double kLn2Lo = 1.9082149292705877e-10;
constexpr double kLn2Hi16 = 0.04332169877307024;  // kLn2Hi / 16: k * kLn2Hi16 is exact
constexpr double kLn2Lo16 = 1.1926343307941173e-11;
constexpr double kSqrt2 = 1.4142135623730951;
// Below exp(-600) a term cannot change a sum that holds exp(0) = 1. Clamping
// keeps 2^n >= 2^-866 (the twin's table of powers of two and the exponent
// arithmetic stay in the normal range) and keeps the code branch-free.
constexpr double kExpFloor = -600.0;
constexpr int kLanes = 8;

// 2^(j/16), correctly rounded.
alignas(64) constexpr double kExp2Table[16] = {
    1.0,                1.0442737824274138, 1.0905077326652577, 1.1387886347566916,
    1.189207115002721,  1.241857812073484,  1.2968395546510096, 1.3542555469368927,
    1.4142135623730951, 1.4768261459394993, 1.5422108254079407, 1.6104903319492543,
    1.681792830507429,  1.7562521603732995, 1.8340080864093424, 1.9152065613971474};

// Taylor coefficients 1/n! (n! is exact in a double, so the division rounds once).
constexpr double kExpC[7] = {1.0, 1.0, 1.0 / 2.0, 1.0 / 6.0, 1.0 / 24.0, 1.0 / 120.0, 1.0 / 720.0};

inline uint64_t Bits(double x) {
  uint64_t u;
  std::memcpy(&u, &x, sizeof u);
  return u;
}
inline double FromBits(uint64_t u) {
  double x;
  std::memcpy(&x, &u, sizeof x);
  return x;
}

// exp(t) = p * scale for t <= 0 (t is clamped at kExpFloor), with p = exp(r)
// in [0.98, 1.03] and scale = 2^n * 2^(j/16) exact; relative error ~5e-16.
// t = (16n + j) ln2/16 + r with |r| <= ln2/32: exp(t) = 2^n * 2^(j/16) * exp(r).
inline void ExpParts(double t, double* p_out, double* scale_out) {
  t = t > kExpFloor ? t : kExpFloor;
  double kd = t * kLog2eX16 + kShift;
  uint64_t kbits = Bits(kd);  // low bits hold k = 16n + j (two's complement)
  kd = kd - kShift;
  double r = t - kd * kLn2Hi16;  // k * kLn2Hi16 is exact (kLn2Hi16 has 21 significant bits)
  r = r - kd * kLn2Lo16;
  double p = kExpC[6];
  for (int i = 5; i >= 0; --i) p = p * r + kExpC[i];
  *p_out = p;
  // 2^(j/16) * 2^n, exact: adding n to the table entry's exponent field.
  *scale_out = FromBits(Bits(kExp2Table[kbits & 15]) + (((kbits >> 4) & 0xfff) << 52));
}

inline double ExpNonPositive(double t) {
  double p, scale;
  ExpParts(t, &p, &scale);
  return p * scale;
}

// log(s) for a finite s >= 1 (a sum of exps that includes exp(0)).
inline double LogAtLeastOne(double s) {
  uint64_t u = Bits(s);
  int e = static_cast<int>((u >> 52) & 0x7ff) - 1023;
  double f = FromBits((u & 0x000fffffffffffffULL) | 0x3ff0000000000000ULL);  // [1, 2)
  if (f > kSqrt2) {
    f = f * 0.5;
    e = e + 1;
  }
  double u1 = (f - 1.0) / (f + 1.0);
  double u2 = u1 * u1;
  // atanh series: log f = 2u (1 + u^2/3 + u^4/5 + ... + u^20/21).
  double q = 1.0 / 21.0;
  for (int i = 9; i >= 0; --i) q = q * u2 + 1.0 / static_cast<double>(2 * i + 1);
  double lf = 2.0 * u1 * q;
  double ed = static_cast<double>(e);
  return ed * kLn2Hi + (ed * kLn2Lo + lf);
}

// *acc += exp(t), as p * scale + *acc (two roundings, as in the twin).
inline void AddExp(double t, double* acc) {
  double p, scale;
  ExpParts(t, &p, &scale);
  *acc = p * scale + *acc;
}

// The fixed combination of the 8 lane sums.
inline double CombineLanes(const double* a) {
  return ((a[0] + a[1]) + (a[2] + a[3])) + ((a[4] + a[5]) + (a[6] + a[7]));
}

// Reference (scalar) lse of one row given its max m. T is float or double.
template <typename T>
inline double LseScalar(const T* x, int64_t c, double m) {
  double acc[kLanes] = {0, 0, 0, 0, 0, 0, 0, 0};
  for (int64_t j = 0; j < c; ++j) AddExp(static_cast<double>(x[j]) - m, &acc[j % kLanes]);
  return m + LogAtLeastOne(CombineLanes(acc));
}

}  // namespace topk_math
}  // namespace realabel
