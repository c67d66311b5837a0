// Row kernels of the top-K selection; see topk_rows.h. The SIMD variants are
// compiled with per-function target attributes (no -march flags), so the
// addon stays portable and picks the variant at run time.
#include "topk_rows.h"

#include <cmath>
#include <limits>

#include "topk_math.h"

#if (defined(__x86_64__) || defined(__i386__)) && (defined(__GNUC__) || defined(__clang__))
#define REALABEL_X86_SIMD 1
#include <immintrin.h>
// GCC 12 warns about the self-initialised placeholders inside its own
// AVX-512 intrinsics (_mm512_undefined_*); the warning is spurious.
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#pragma GCC diagnostic ignored "-Wuninitialized"
#endif
#endif

namespace realabel {
namespace topk_rows {

using namespace topk_math;

namespace {

template <typename T>
int64_t FirstNonFinite(const T* x, int64_t c) {
  for (int64_t j = 0; j < c; ++j) {
    if (!std::isfinite(x[j])) return j;
  }
  return -1;
}

template <typename T>
int64_t FilterScalar(const T* x, int64_t c, T thr, int32_t* cols, int64_t* firstBad) {
  if (firstBad) {
    *firstBad = FirstNonFinite(x, c);
    if (*firstBad >= 0) return 0;
  }
  int64_t n = 0;
  for (int64_t j = 0; j < c; ++j) {
    if (x[j] >= thr) cols[n++] = static_cast<int32_t>(j);
  }
  return n;
}

template <typename T>
T MaxScalar(const T* x, int64_t c, int64_t* firstBad, T* min = nullptr) {
  *firstBad = FirstNonFinite(x, c);
  T m = x[0], lo = x[0];
  for (int64_t j = 1; j < c; ++j) {
    if (x[j] > m) m = x[j];
    if (x[j] < lo) lo = x[j];
  }
  if (min) *min = lo;
  return m;
}

// Lane sums of the scalar tail [from, c), then the shared finish.
template <typename T>
double FinishLse(const T* x, int64_t from, int64_t c, double m, double* acc) {
  for (int64_t j = from; j < c; ++j) AddExp(static_cast<double>(x[j]) - m, &acc[j % kLanes]);
  return m + LogAtLeastOne(CombineLanes(acc));
}

#ifdef REALABEL_X86_SIMD

inline void AppendBits(uint64_t bits, int64_t base, int32_t* cols, int64_t* n) {
  while (bits) {
    cols[(*n)++] = static_cast<int32_t>(base + __builtin_ctzll(bits));
    bits &= bits - 1;
  }
}

// The scalar tails [j, c) of the vector loops; each returns whether a value
// there is not finite.
inline bool FilterTail(const float* x, int64_t j, int64_t c, float thr, int32_t* cols, int64_t* n) {
  bool bad = false;
  for (; j < c; ++j) {
    bad |= !std::isfinite(x[j]);
    if (x[j] >= thr) cols[(*n)++] = static_cast<int32_t>(j);
  }
  return bad;
}

inline bool MaxTail(const float* x, int64_t j, int64_t c, float* m, float* lo) {
  bool bad = false;
  for (; j < c; ++j) {
    bad |= !std::isfinite(x[j]);
    if (x[j] > *m) *m = x[j];
    if (x[j] < *lo) *lo = x[j];
  }
  return bad;
}

// ---- AVX-512 ----

__attribute__((target("avx512f"))) int64_t FilterAvx512(const float* x, int64_t c, float thr, int32_t* cols,
                                                          int64_t* firstBad) {
  const __m512 t = _mm512_set1_ps(thr);
  __mmask16 bad = 0;
  int64_t n = 0, j = 0;
  for (; j + 64 <= c; j += 64) {
    // Stay 4 KB ahead: the hardware prefetcher loses ground at each
    // mispredicted candidate branch (prefetches never fault past the end).
    for (int l = 0; l < 64; l += 16) _mm_prefetch(reinterpret_cast<const char*>(x + j + 1024 + l), _MM_HINT_T0);
    __m512 a = _mm512_loadu_ps(x + j), b = _mm512_loadu_ps(x + j + 16);
    __m512 d = _mm512_loadu_ps(x + j + 32), e = _mm512_loadu_ps(x + j + 48);
    uint64_t bits = static_cast<uint64_t>(_mm512_cmp_ps_mask(a, t, _CMP_GE_OQ)) |
                    (static_cast<uint64_t>(_mm512_cmp_ps_mask(b, t, _CMP_GE_OQ)) << 16) |
                    (static_cast<uint64_t>(_mm512_cmp_ps_mask(d, t, _CMP_GE_OQ)) << 32) |
                    (static_cast<uint64_t>(_mm512_cmp_ps_mask(e, t, _CMP_GE_OQ)) << 48);
    if (firstBad) {
      // x - x is NaN exactly for NaN and ±Infinity.
      __m512 za = _mm512_sub_ps(a, a), zb = _mm512_sub_ps(b, b);
      __m512 zd = _mm512_sub_ps(d, d), ze = _mm512_sub_ps(e, e);
      bad |= _mm512_cmp_ps_mask(za, zb, _CMP_UNORD_Q) | _mm512_cmp_ps_mask(zd, ze, _CMP_UNORD_Q);
    }
    if (bits) AppendBits(bits, j, cols, &n);
  }
  for (; j + 16 <= c; j += 16) {
    __m512 a = _mm512_loadu_ps(x + j);
    if (firstBad) {
      __m512 za = _mm512_sub_ps(a, a);
      bad |= _mm512_cmp_ps_mask(za, za, _CMP_UNORD_Q);
    }
    uint64_t bits = _mm512_cmp_ps_mask(a, t, _CMP_GE_OQ);
    if (bits) AppendBits(bits, j, cols, &n);
  }
  const bool tailBad = FilterTail(x, j, c, thr, cols, &n);
  if (firstBad) *firstBad = (bad || tailBad) ? FirstNonFinite(x, c) : -1;
  return n;
}

__attribute__((target("avx512f"))) float MaxAvx512(const float* x, int64_t c, int64_t* firstBad, float* min) {
  const float inf = std::numeric_limits<float>::infinity();
  __m512 m0 = _mm512_set1_ps(-inf), m1 = m0, l0 = _mm512_set1_ps(inf), l1 = l0;
  __mmask16 bad = 0;
  int64_t j = 0;
  for (; j + 32 <= c; j += 32) {
    __m512 a = _mm512_loadu_ps(x + j), b = _mm512_loadu_ps(x + j + 16);
    m0 = _mm512_max_ps(m0, a);
    m1 = _mm512_max_ps(m1, b);
    l0 = _mm512_min_ps(l0, a);
    l1 = _mm512_min_ps(l1, b);
    // x - x is NaN exactly for NaN and ±Infinity.
    bad |= _mm512_cmp_ps_mask(_mm512_sub_ps(a, a), _mm512_sub_ps(b, b), _CMP_UNORD_Q);
  }
  float m = _mm512_reduce_max_ps(_mm512_max_ps(m0, m1));
  float lo = _mm512_reduce_min_ps(_mm512_min_ps(l0, l1));
  const bool tailBad = MaxTail(x, j, c, &m, &lo);
  *firstBad = (bad || tailBad) ? FirstNonFinite(x, c) : -1;
  if (min) *min = lo;
  return m;
}

// ExpParts on 8 lanes, operation for operation; 2^n is added to the table
// entry's exponent field as in ExpParts. Clamp = false when every t is known
// to be >= kExpFloor (the clamp would change nothing).
template <bool Clamp>
__attribute__((target("avx512f"))) inline void ExpParts8(__m512d t, __m512d tlo, __m512d thi, __m512d* p_out,
                                                          __m512d* scale_out) {
  if (Clamp) t = _mm512_max_pd(t, _mm512_set1_pd(kExpFloor));
  __m512d kd = _mm512_add_pd(_mm512_mul_pd(t, _mm512_set1_pd(kLog2eX16)), _mm512_set1_pd(kShift));
  __m512i kbits = _mm512_castpd_si512(kd);
  kd = _mm512_sub_pd(kd, _mm512_set1_pd(kShift));
  __m512d r = _mm512_sub_pd(t, _mm512_mul_pd(kd, _mm512_set1_pd(kLn2Hi16)));
  r = _mm512_sub_pd(r, _mm512_mul_pd(kd, _mm512_set1_pd(kLn2Lo16)));
  __m512d p = _mm512_set1_pd(kExpC[6]);
  for (int i = 5; i >= 0; --i) p = _mm512_add_pd(_mm512_mul_pd(p, r), _mm512_set1_pd(kExpC[i]));
  // vpermt2pd reads the low 4 bits of each index: j = k & 15; n << 52 = (k >> 4) << 52.
  __m512i tbits = _mm512_castpd_si512(_mm512_permutex2var_pd(tlo, kbits, thi));
  __m512i nbits = _mm512_slli_epi64(_mm512_srli_epi64(kbits, 4), 52);
  *p_out = p;
  *scale_out = _mm512_castsi512_pd(_mm512_add_epi64(tbits, nbits));
}

// AddExp on 8 lanes.
template <bool Clamp>
__attribute__((target("avx512f"))) inline __m512d AddExp8(__m512d t, __m512d tlo, __m512d thi, __m512d acc) {
  __m512d p, scale;
  ExpParts8<Clamp>(t, tlo, thi, &p, &scale);
  return _mm512_add_pd(_mm512_mul_pd(p, scale), acc);
}

__attribute__((target("avx512f"))) void ExpToFloatAvx512(const double* t, int64_t n, float* out) {
  const __m512d tlo = _mm512_load_pd(kExp2Table), thi = _mm512_load_pd(kExp2Table + 8);
  int64_t i = 0;
  for (; i + 8 <= n; i += 8) {
    __m512d p, scale;
    ExpParts8<true>(_mm512_loadu_pd(t + i), tlo, thi, &p, &scale);
    _mm256_storeu_ps(out + i, _mm512_cvtpd_ps(_mm512_mul_pd(p, scale)));
  }
  for (; i < n; ++i) out[i] = static_cast<float>(ExpNonPositive(t[i]));
}

__attribute__((target("avx512f"))) inline __m512d Load8(const float* x) { return _mm512_cvtps_pd(_mm256_loadu_ps(x)); }
__attribute__((target("avx512f"))) inline __m512d Load8(const double* x) { return _mm512_loadu_pd(x); }

template <typename T, bool Clamp>
__attribute__((target("avx512f"))) double LseAvx512(const T* x, int64_t c, double m) {
  const __m512d mv = _mm512_set1_pd(m);
  const __m512d tlo = _mm512_load_pd(kExp2Table), thi = _mm512_load_pd(kExp2Table + 8);
  constexpr int64_t kLine = 64 / sizeof(T);
  __m512d acc = _mm512_setzero_pd();
  int64_t j = 0;
  for (; j + 8 <= c; j += 8) {
    // This loop is compute-bound: meanwhile bring the row after next into L2
    // (one row ahead comes too late; prefetches never fault).
    if ((j & (kLine - 1)) == 0) _mm_prefetch(reinterpret_cast<const char*>(x + 2 * c + j), _MM_HINT_T1);
    acc = AddExp8<Clamp>(_mm512_sub_pd(Load8(x + j), mv), tlo, thi, acc);
  }
  alignas(64) double lanes[kLanes];
  _mm512_store_pd(lanes, acc);
  return FinishLse(x, j, c, m, lanes);
}

__attribute__((target("avx512f"))) double SumAvx512(const float* x, int64_t n) {
  __m512 s0 = _mm512_setzero_ps(), s1 = s0, s2 = s0, s3 = s0;
  int64_t j = 0;
  for (; j + 64 <= n; j += 64) {
    s0 = _mm512_add_ps(s0, _mm512_loadu_ps(x + j));
    s1 = _mm512_add_ps(s1, _mm512_loadu_ps(x + j + 16));
    s2 = _mm512_add_ps(s2, _mm512_loadu_ps(x + j + 32));
    s3 = _mm512_add_ps(s3, _mm512_loadu_ps(x + j + 48));
  }
  double s = _mm512_reduce_add_ps(_mm512_add_ps(_mm512_add_ps(s0, s1), _mm512_add_ps(s2, s3)));
  for (; j < n; ++j) s += x[j];
  return s;
}

// ---- AVX2 ----

__attribute__((target("avx2"))) int64_t FilterAvx2(const float* x, int64_t c, float thr, int32_t* cols,
                                                     int64_t* firstBad) {
  const __m256 t = _mm256_set1_ps(thr);
  __m256 bad = _mm256_setzero_ps();
  int64_t n = 0, j = 0;
  for (; j + 32 <= c; j += 32) {
    _mm_prefetch(reinterpret_cast<const char*>(x + j + 1024), _MM_HINT_T0);
    _mm_prefetch(reinterpret_cast<const char*>(x + j + 1040), _MM_HINT_T0);
    __m256 a = _mm256_loadu_ps(x + j), b = _mm256_loadu_ps(x + j + 8);
    __m256 d = _mm256_loadu_ps(x + j + 16), e = _mm256_loadu_ps(x + j + 24);
    uint64_t bits = static_cast<uint64_t>(_mm256_movemask_ps(_mm256_cmp_ps(a, t, _CMP_GE_OQ))) |
                    (static_cast<uint64_t>(_mm256_movemask_ps(_mm256_cmp_ps(b, t, _CMP_GE_OQ))) << 8) |
                    (static_cast<uint64_t>(_mm256_movemask_ps(_mm256_cmp_ps(d, t, _CMP_GE_OQ))) << 16) |
                    (static_cast<uint64_t>(_mm256_movemask_ps(_mm256_cmp_ps(e, t, _CMP_GE_OQ))) << 24);
    if (firstBad) {
      __m256 za = _mm256_sub_ps(a, a), zb = _mm256_sub_ps(b, b);
      __m256 zd = _mm256_sub_ps(d, d), ze = _mm256_sub_ps(e, e);
      bad = _mm256_or_ps(bad, _mm256_or_ps(_mm256_cmp_ps(za, zb, _CMP_UNORD_Q), _mm256_cmp_ps(zd, ze, _CMP_UNORD_Q)));
    }
    if (bits) AppendBits(bits, j, cols, &n);
  }
  const bool tailBad = FilterTail(x, j, c, thr, cols, &n);
  if (firstBad) *firstBad = (_mm256_movemask_ps(bad) || tailBad) ? FirstNonFinite(x, c) : -1;
  return n;
}

__attribute__((target("avx2"))) float MaxAvx2(const float* x, int64_t c, int64_t* firstBad, float* min) {
  const float inf = std::numeric_limits<float>::infinity();
  __m256 m0 = _mm256_set1_ps(-inf), m1 = m0, l0 = _mm256_set1_ps(inf), l1 = l0;
  __m256 bad = _mm256_setzero_ps();
  int64_t j = 0;
  for (; j + 16 <= c; j += 16) {
    __m256 a = _mm256_loadu_ps(x + j), b = _mm256_loadu_ps(x + j + 8);
    m0 = _mm256_max_ps(m0, a);
    m1 = _mm256_max_ps(m1, b);
    l0 = _mm256_min_ps(l0, a);
    l1 = _mm256_min_ps(l1, b);
    bad = _mm256_or_ps(bad, _mm256_cmp_ps(_mm256_sub_ps(a, a), _mm256_sub_ps(b, b), _CMP_UNORD_Q));
  }
  alignas(32) float hiLanes[8], loLanes[8];
  _mm256_store_ps(hiLanes, _mm256_max_ps(m0, m1));
  _mm256_store_ps(loLanes, _mm256_min_ps(l0, l1));
  float m = hiLanes[0], lo = loLanes[0];
  for (int l = 1; l < 8; ++l) {
    m = hiLanes[l] > m ? hiLanes[l] : m;
    lo = loLanes[l] < lo ? loLanes[l] : lo;
  }
  const bool tailBad = MaxTail(x, j, c, &m, &lo);
  *firstBad = (_mm256_movemask_ps(bad) || tailBad) ? FirstNonFinite(x, c) : -1;
  if (min) *min = lo;
  return m;
}

template <bool Clamp>
__attribute__((target("avx2"))) inline void ExpParts4(__m256d t, __m256d* p_out, __m256d* scale_out) {
  if (Clamp) t = _mm256_max_pd(t, _mm256_set1_pd(kExpFloor));
  __m256d kd = _mm256_add_pd(_mm256_mul_pd(t, _mm256_set1_pd(kLog2eX16)), _mm256_set1_pd(kShift));
  __m256i kbits = _mm256_castpd_si256(kd);
  kd = _mm256_sub_pd(kd, _mm256_set1_pd(kShift));
  __m256d r = _mm256_sub_pd(t, _mm256_mul_pd(kd, _mm256_set1_pd(kLn2Hi16)));
  r = _mm256_sub_pd(r, _mm256_mul_pd(kd, _mm256_set1_pd(kLn2Lo16)));
  __m256d p = _mm256_set1_pd(kExpC[6]);
  for (int i = 5; i >= 0; --i) p = _mm256_add_pd(_mm256_mul_pd(p, r), _mm256_set1_pd(kExpC[i]));
  __m256i tbits = _mm256_castpd_si256(
      _mm256_i64gather_pd(kExp2Table, _mm256_and_si256(kbits, _mm256_set1_epi64x(15)), 8));
  __m256i nbits = _mm256_slli_epi64(_mm256_srli_epi64(kbits, 4), 52);
  *p_out = p;
  *scale_out = _mm256_castsi256_pd(_mm256_add_epi64(tbits, nbits));
}

template <bool Clamp>
__attribute__((target("avx2"))) inline __m256d AddExp4(__m256d t, __m256d acc) {
  __m256d p, scale;
  ExpParts4<Clamp>(t, &p, &scale);
  return _mm256_add_pd(_mm256_mul_pd(p, scale), acc);
}

__attribute__((target("avx2"))) void ExpToFloatAvx2(const double* t, int64_t n, float* out) {
  int64_t i = 0;
  for (; i + 4 <= n; i += 4) {
    __m256d p, scale;
    ExpParts4<true>(_mm256_loadu_pd(t + i), &p, &scale);
    _mm_storeu_ps(out + i, _mm256_cvtpd_ps(_mm256_mul_pd(p, scale)));
  }
  for (; i < n; ++i) out[i] = static_cast<float>(ExpNonPositive(t[i]));
}

// Columns j..j+7 as doubles minus m, in two halves (lanes 0-3 and 4-7).
__attribute__((target("avx2"))) inline void Load4x2(const float* x, __m256d mv, __m256d* lo, __m256d* hi) {
  __m256 v = _mm256_loadu_ps(x);
  *lo = _mm256_sub_pd(_mm256_cvtps_pd(_mm256_castps256_ps128(v)), mv);
  *hi = _mm256_sub_pd(_mm256_cvtps_pd(_mm256_extractf128_ps(v, 1)), mv);
}
__attribute__((target("avx2"))) inline void Load4x2(const double* x, __m256d mv, __m256d* lo, __m256d* hi) {
  *lo = _mm256_sub_pd(_mm256_loadu_pd(x), mv);
  *hi = _mm256_sub_pd(_mm256_loadu_pd(x + 4), mv);
}

template <typename T, bool Clamp>
__attribute__((target("avx2"))) double LseAvx2(const T* x, int64_t c, double m) {
  const __m256d mv = _mm256_set1_pd(m);
  constexpr int64_t kLine = 64 / sizeof(T);
  __m256d lo = _mm256_setzero_pd(), hi = lo;  // lanes 0-3 and 4-7
  int64_t j = 0;
  for (; j + 8 <= c; j += 8) {
    if ((j & (kLine - 1)) == 0) _mm_prefetch(reinterpret_cast<const char*>(x + 2 * c + j), _MM_HINT_T1);
    __m256d a, b;
    Load4x2(x + j, mv, &a, &b);
    lo = AddExp4<Clamp>(a, lo);
    hi = AddExp4<Clamp>(b, hi);
  }
  alignas(32) double lanes[kLanes];
  _mm256_store_pd(lanes, lo);
  _mm256_store_pd(lanes + 4, hi);
  return FinishLse(x, j, c, m, lanes);
}

__attribute__((target("avx2"))) double SumAvx2(const float* x, int64_t n) {
  __m256 s0 = _mm256_setzero_ps(), s1 = s0, s2 = s0, s3 = s0;
  int64_t j = 0;
  for (; j + 32 <= n; j += 32) {
    s0 = _mm256_add_ps(s0, _mm256_loadu_ps(x + j));
    s1 = _mm256_add_ps(s1, _mm256_loadu_ps(x + j + 8));
    s2 = _mm256_add_ps(s2, _mm256_loadu_ps(x + j + 16));
    s3 = _mm256_add_ps(s3, _mm256_loadu_ps(x + j + 24));
  }
  alignas(32) float lanes[8];
  _mm256_store_ps(lanes, _mm256_add_ps(_mm256_add_ps(s0, s1), _mm256_add_ps(s2, s3)));
  double s = 0;
  for (float v : lanes) s += v;
  for (; j < n; ++j) s += x[j];
  return s;
}

#endif  // REALABEL_X86_SIMD

}  // namespace

Isa BestIsa() {
#ifdef REALABEL_X86_SIMD
  static const Isa best = [] {
    __builtin_cpu_init();
    if (__builtin_cpu_supports("avx512f")) return kAvx512;
    // The AVX2 variant fuses multiply-adds (FMA3), as the AVX-512 one does.
    if (__builtin_cpu_supports("avx2")) return kAvx2;
    return kScalar;
  }();
  return best;
#else
  return kScalar;
#endif
}

Isa ResolveIsa(int requested) {
  Isa best = BestIsa();
  if (requested <= 0 || requested > best) return best;
  return static_cast<Isa>(requested);
}

int64_t FilterF32(Isa isa, const float* x, int64_t c, float thr, int32_t* cols, int64_t* firstBad) {
#ifdef REALABEL_X86_SIMD
  if (isa == kAvx512) return FilterAvx512(x, c, thr, cols, firstBad);
  if (isa == kAvx2) return FilterAvx2(x, c, thr, cols, firstBad);
#endif
  (void)isa;
  return FilterScalar(x, c, thr, cols, firstBad);
}

int64_t FilterF64(const double* x, int64_t c, double thr, int32_t* cols, int64_t* firstBad) {
  return FilterScalar(x, c, thr, cols, firstBad);
}

float MaxF32(Isa isa, const float* x, int64_t c, int64_t* firstBad, float* min) {
#ifdef REALABEL_X86_SIMD
  if (isa == kAvx512) return MaxAvx512(x, c, firstBad, min);
  if (isa == kAvx2) return MaxAvx2(x, c, firstBad, min);
#endif
  (void)isa;
  return MaxScalar(x, c, firstBad, min);
}

double MaxF64(const double* x, int64_t c, int64_t* firstBad) { return MaxScalar(x, c, firstBad); }

double LseF32(Isa isa, const float* x, int64_t c, double m, float min) {
#ifdef REALABEL_X86_SIMD
  // With x - m >= kExpFloor for the whole row, the clamp is a no-op.
  const bool clamp = !(static_cast<double>(min) - m >= kExpFloor + 8);
  if (isa == kAvx512) return clamp ? LseAvx512<float, true>(x, c, m) : LseAvx512<float, false>(x, c, m);
  if (isa == kAvx2) return clamp ? LseAvx2<float, true>(x, c, m) : LseAvx2<float, false>(x, c, m);
#endif
  (void)min;
  (void)isa;
  return LseScalar(x, c, m);
}

double LseF64(Isa isa, const double* x, int64_t c, double m) {
#ifdef REALABEL_X86_SIMD
  if (isa == kAvx512) return LseAvx512<double, true>(x, c, m);
  if (isa == kAvx2) return LseAvx2<double, true>(x, c, m);
#endif
  (void)isa;
  return LseScalar(x, c, m);
}

void ExpToFloat(Isa isa, const double* t, int64_t n, float* out) {
#ifdef REALABEL_X86_SIMD
  if (isa == kAvx512) return ExpToFloatAvx512(t, n, out);
  if (isa == kAvx2) return ExpToFloatAvx2(t, n, out);
#endif
  (void)isa;
  for (int64_t i = 0; i < n; ++i) out[i] = static_cast<float>(ExpNonPositive(t[i]));
}

double SumF32(Isa isa, const float* x, int64_t n) {
#ifdef REALABEL_X86_SIMD
  if (isa == kAvx512) return SumAvx512(x, n);
  if (isa == kAvx2) return SumAvx2(x, n);
#endif
  (void)isa;
  double s = 0;
  for (int64_t j = 0; j < n; ++j) s += x[j];
  return s;
}

}  // namespace topk_rows
}  // namespace realabel
