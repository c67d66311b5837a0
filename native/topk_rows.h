// Per-row kernels of the top-K selection, with AVX-512 / AVX2+FMA variants
// chosen at run time and a portable scalar path. Every variant returns exactly
// what the scalar path returns: compares are exact, and the exp sums use the
// same IEEE operations (fused multiply-adds included) lane by lane (see
// topk_math.h).
#pragma once
#include <cstdint>

namespace realabel {
namespace topk_rows {

enum Isa : int { kScalar = 1, kAvx2 = 2, kAvx512 = 3 };

// The best variant this CPU runs.
Isa BestIsa();
// `requested` (0 = best) capped at what the CPU supports.
Isa ResolveIsa(int requested);

// Writes to cols[] (c + 16 slots) the columns j (ascending) with x[j] >= thr
// and returns how many. When firstBad is non-null, sets it to the first column holding NaN or
// ±Infinity (-1 if none); cols is then only meaningful when there is none.
int64_t FilterF32(Isa isa, const float* x, int64_t c, float thr, int32_t* cols, int64_t* firstBad);
int64_t FilterF64(const double* x, int64_t c, double thr, int32_t* cols, int64_t* firstBad);

// Row maximum (and minimum, when min is non-null); sets *firstBad to the
// first non-finite column (-1 if none).
float MaxF32(Isa isa, const float* x, int64_t c, int64_t* firstBad, float* min = nullptr);
double MaxF64(const double* x, int64_t c, int64_t* firstBad);

// The natural log of sum_j exp(x_j) for a finite row with maximum m and
// minimum min, bit-identical to topk_math::LseScalar.
double LseF32(Isa isa, const float* x, int64_t c, double m, float min);
double LseF64(Isa isa, const double* x, int64_t c, double m);

// out[i] = float(exp(t[i])) for keys t[i] <= 0, bit-identical to
// float(topk_math::ExpNonPositive(t[i])) (the reported `prob` values).
void ExpToFloat(Isa isa, const double* t, int64_t n, float* out);

// Sum of n floats (the read-pass baseline of the benchmark).
double SumF32(Isa isa, const float* x, int64_t n);

}  // namespace topk_rows
}  // namespace realabel
