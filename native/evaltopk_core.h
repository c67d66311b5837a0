// The per-row top-k kernel of evaltopk.cc, free of Node-API so that it can be
// built and checked on its own (sanitizers, fuzzing). Order: higher score
// first, ties to the lower class index; a NaN row is reported, not ranked.
#pragma once
#include <cstdint>
#include <limits>
#include <string>
#include <vector>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

#include "check.h"
#include "parallel.h"

namespace realabel {
namespace evaltopk {

// Scores are scanned in tiles of 16; only the values of a tile that beat the
// k-th best so far (a bit mask) are looked at one by one. The threshold only
// rises while a tile is processed, so no other value of the tile can enter.
constexpr int64_t kTile = 16;

template <typename T>
inline uint32_t TileMaskScalar(const T* p, T thr, int* nan) {
  uint32_t mask = 0;
  for (int64_t t = 0; t < kTile; ++t) {
    mask |= static_cast<uint32_t>(p[t] > thr) << t;
    *nan |= p[t] != p[t];
  }
  return mask;
}

// Bit t set when p[t] > thr; ORs a NaN flag into *nan. SSE2 is the x86-64
// baseline, so this needs no runtime dispatch.
inline uint32_t TileMask(const float* p, float thr, int* nan) {
#if defined(__SSE2__)
  const __m128 t = _mm_set1_ps(thr);
  const __m128 a0 = _mm_loadu_ps(p), a1 = _mm_loadu_ps(p + 4), a2 = _mm_loadu_ps(p + 8), a3 = _mm_loadu_ps(p + 12);
  *nan |= _mm_movemask_ps(_mm_or_ps(_mm_cmpunord_ps(a0, a1), _mm_cmpunord_ps(a2, a3)));
  return static_cast<uint32_t>(_mm_movemask_ps(_mm_cmpgt_ps(a0, t)) | (_mm_movemask_ps(_mm_cmpgt_ps(a1, t)) << 4) |
                               (_mm_movemask_ps(_mm_cmpgt_ps(a2, t)) << 8) | (_mm_movemask_ps(_mm_cmpgt_ps(a3, t)) << 12));
#else
  return TileMaskScalar(p, thr, nan);
#endif
}

inline uint32_t TileMask(const double* p, double thr, int* nan) {
#if defined(__SSE2__)
  const __m128d t = _mm_set1_pd(thr);
  uint32_t mask = 0;
  __m128d un = _mm_setzero_pd();
  for (int q = 0; q < kTile; q += 4) {
    const __m128d a = _mm_loadu_pd(p + q), b = _mm_loadu_pd(p + q + 2);
    mask |= static_cast<uint32_t>(_mm_movemask_pd(_mm_cmpgt_pd(a, t)) | (_mm_movemask_pd(_mm_cmpgt_pd(b, t)) << 2)) << q;
    un = _mm_or_pd(un, _mm_cmpunord_pd(a, b));
  }
  *nan |= _mm_movemask_pd(un);
  return mask;
#else
  return TileMaskScalar(p, thr, nan);
#endif
}

inline int LowestBit(uint32_t m) {
#if defined(__GNUC__)
  return __builtin_ctz(m);
#else
  int t = 0;
  while (!(m & 1u)) m >>= 1, ++t;
  return t;
#endif
}

// Inserts (v, j) into the first `len` entries of the descending list, where j
// is larger than every index already there: equal values stay ahead of it.
template <typename T>
inline void Insert(T v, int32_t j, T* vals, int32_t* idx, int64_t len, int64_t k) {
  int64_t p = len < k ? len : k - 1;
  while (p > 0 && v > vals[p - 1]) {
    vals[p] = vals[p - 1];
    idx[p] = idx[p - 1];
    --p;
  }
  vals[p] = v;
  idx[p] = j;
}

// Top-k of one row. Returns false when the row holds a NaN.
template <typename T>
bool TopkRow(const T* row, int64_t c, int64_t k, T* vals, int32_t* out) {
  int nan = 0;
  for (int64_t j = 0; j < k; ++j) {
    nan |= row[j] != row[j];
    Insert(row[j], static_cast<int32_t>(j), vals, out, j, k);
  }
  int64_t j = k;
  for (; j + kTile <= c; j += kTile) {
    for (uint32_t m = TileMask(row + j, vals[k - 1], &nan); m != 0; m &= m - 1) {
      const int64_t at = j + LowestBit(m);
      if (row[at] > vals[k - 1]) Insert(row[at], static_cast<int32_t>(at), vals, out, k, k);
    }
  }
  for (; j < c; ++j) {
    nan |= row[j] != row[j];
    if (row[j] > vals[k - 1]) Insert(row[j], static_cast<int32_t>(j), vals, out, k, k);
  }
  return nan == 0;
}

// x == a * b, exactly (no overflow).
inline bool ProductIs(int64_t a, int64_t b, int64_t x) {
  if (a == 0 || b == 0) return x == 0;
  return x % a == 0 && x / a == b;
}

// Checks a TopkRows call on buffers of `length` scores and `outLength` slots;
// throws ArgError (the binding's RangeError) naming the first bad argument.
inline void CheckTopkRows(int64_t length, int64_t n, int64_t c, int64_t k, int64_t outLength) {
  CheckRange("n", n, 0, INT64_C(1) << 40);
  CheckRange("c", c, 1, std::numeric_limits<int32_t>::max());
  CheckRange("k", k, 1, c);
  if (!ProductIs(n, c, length)) {
    throw ArgError("scores has " + std::to_string(length) + " values, expected n*c = " + std::to_string(n) + "*" +
                   std::to_string(c));
  }
  if (!ProductIs(n, k, outLength)) {
    throw ArgError("out has " + std::to_string(outLength) + " values, expected n*k = " + std::to_string(n) + "*" +
                   std::to_string(k));
  }
}

// Fixed block count: results per row do not depend on the partition, and the
// first NaN row is the minimum over blocks, so threads never change output.
constexpr int kBlocks = 64;

template <typename T>
int64_t TopkRows(const T* scores, int64_t n, int64_t c, int64_t k, int32_t* out, int threads) {
  std::vector<int64_t> firstNan(kBlocks, -1);
  ParallelBlocks(n, kBlocks, threads, [&](int b, int64_t begin, int64_t end) {
    // k <= c values per block, but only where the block has rows (n = 0 allows any c and k).
    if (begin >= end) return;
    std::vector<T> vals(static_cast<size_t>(k));
    for (int64_t i = begin; i < end; ++i) {
      if (!TopkRow(scores + i * c, c, k, vals.data(), out + i * k)) {
        firstNan[b] = i;
        return;
      }
    }
  });
  for (int64_t r : firstNan) {
    if (r >= 0) return r;
  }
  return -1;
}

}  // namespace evaltopk
}  // namespace realabel
