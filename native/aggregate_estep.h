// The E-step shared by EM (aggregate_em.cc) and the scoring pass
// (aggregate_score.cc): answers grouped by question (Csr), parameters in
// E-step layout, and the per-block E-step loops, mirrored one to one by
// src/aggregate/em-ts.ts. Internal to the aggregation kernels.
//
// Speed notes. One EM iteration is a single pass over the answers grouped by
// question: the E-step computes a question's posterior and immediately adds
// it into per-block confusion counts (the next M-step's sufficient
// statistics), so the answers are read once per iteration. The E-step works
// in probability space (products of confusion entries, rescaled by exact
// powers of two) and the log-likelihood is a running product split into
// mantissa and exponent, so an iteration needs no exp or log per question;
// it falls back to log space when a parameter is so small that products could
// underflow.
#pragma once
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstring>
#if defined(__SSE2__)
#include <emmintrin.h>
#endif
#include <limits>
#include <vector>

#include "aggregate_core.h"

namespace realabel {
namespace aggregate {
namespace estep {

constexpr double kNegInf = -std::numeric_limits<double>::infinity();
constexpr double kLn2 = 0.693147180559945309417232121458176568;
// Rescale a question's running products when their largest falls below
// 2^-256 (by an exact power of two that brings it to [0.5, 1)).
inline const double kTiny = std::ldexp(1.0, -256);
// Renormalise the running likelihood product below 2^-512.
inline const double kProdFloor = std::ldexp(1.0, -512);
// A nonzero parameter below 2^-1000 could underflow a product: use log space.
inline const double kLogDomainBelow = std::ldexp(1.0, -1000);

inline int64_t BlockStart(int64_t n, int b, int blocks) { return n * b / blocks; }

// Answers grouped by question (stable): off[Q+1], code[i] = w*A + a.
struct Csr {
  std::vector<int64_t> off;
  std::vector<int32_t> code;
};

inline Csr QuestionCsr(const Answers& ans) {
  Csr c;
  c.off.assign(static_cast<size_t>(ans.Q) + 1, 0);
  bool grouped = true;
  for (int64_t i = 0; i < ans.n; ++i) {
    ++c.off[ans.q[i] + 1];
    if (i > 0 && ans.q[i] < ans.q[i - 1]) grouped = false;
  }
  for (int32_t q = 0; q < ans.Q; ++q) c.off[q + 1] += c.off[q];
  c.code.resize(static_cast<size_t>(ans.n));
  if (grouped) {
    // Already grouped by question (e.g. raters.npz as read): no scatter needed.
    for (int64_t i = 0; i < ans.n; ++i) c.code[i] = ans.w[i] * ans.A + ans.a[i];
    return c;
  }
  std::vector<int64_t> pos(c.off.begin(), c.off.end() - 1);
  for (int64_t i = 0; i < ans.n; ++i) c.code[pos[ans.q[i]]++] = ans.w[i] * ans.A + ans.a[i];
  return c;
}

// Parameters in E-step layout: entry [(w*A + a)*K + k] = p(a | truth k) for worker w.
struct Params {
  int32_t K = 0;
  const double* prob = nullptr;
  const double* logc = nullptr;  // log space only
  const double* prior = nullptr;
  const double* logp = nullptr;  // log space only
  bool log_domain = false;
  // Fast path (K = 2): emin[code] = floor(log2(smallest positive entry of the
  // code's row)); a question whose exponent sum stays >= emin_floor cannot
  // underflow, so it skips the per-answer rescale check (see EStepPair).
  const int32_t* emin = nullptr;
  int64_t emin_floor = 0;
};

// floor(log2(x)) for x > 0 (x = f * 2^e with f in [0.5, 1) gives e - 1).
inline int32_t FloorLog2(double x) {
  int e = 0;
  std::frexp(x, &e);
  return e - 1;
}

// Row exponents for the fast path: rows with no positive entry get 0 (such a
// row zeroes every class, which cannot underflow). Returns the floor the
// exponent sum must reach: the smallest positive prior's exponent and a
// margin so the largest product stays above 2^-960 (normal numbers).
inline int64_t RowExponents(const double* prob, int64_t codes, int32_t K, const double* prior, int32_t* emin) {
  for (int64_t c = 0; c < codes; ++c) {
    double m = 0;
    for (int32_t k = 0; k < K; ++k) {
      const double v = prob[c * K + k];
      if (v > 0 && (m == 0 || v < m)) m = v;
    }
    emin[c] = m > 0 ? FloorLog2(m) : 0;
  }
  double pmin = 0;
  for (int32_t k = 0; k < K; ++k) {
    if (prior[k] > 0 && (pmin == 0 || prior[k] < pmin)) pmin = prior[k];
  }
  return pmin > 0 ? -960 - FloorLog2(pmin) : 0;
}

// How the E-step feeds the next M-step's counts.
enum class Sink { kNone, kDawidSkene, kOneCoin };

struct SinkArgs {
  double* counts = nullptr;     // DS: [code*K + k]; one-coin: [w*2 + {correct, total}]
  const int32_t* cw = nullptr;  // one-coin: worker of a code
  const int32_t* cm = nullptr;  // one-coin: class the code's answer is correct for, or -1
};

struct BlockResult {
  double ll = 0;
  double change = 0;
};

// x = f * 2^e with f in [0.5, 1), for finite x > 0 (std::frexp, inlined for
// normal numbers: it runs once per question).
inline double Frexp(double x, int* e) {
  uint64_t bits;
  std::memcpy(&bits, &x, sizeof bits);
  const int biased = static_cast<int>((bits >> 52) & 0x7ff);
  if (biased == 0) return std::frexp(x, e);
  *e = biased - 1022;
  bits = (bits & ~(uint64_t{0x7ff} << 52)) | (uint64_t{1022} << 52);
  std::memcpy(&x, &bits, sizeof bits);
  return x;
}

template <Sink S, int KK>
inline void AddCounts(const Csr& c, int32_t q, int32_t K, const double* t, const SinkArgs& sink) {
  if (S == Sink::kNone) return;
  if (KK > 0) K = KK;
  for (int64_t i = c.off[q]; i < c.off[q + 1]; ++i) {
    const int32_t code = c.code[i];
    if (S == Sink::kDawidSkene) {
      double* row = sink.counts + static_cast<int64_t>(code) * K;
      for (int32_t k = 0; k < K; ++k) row[k] += t[k];
    } else {
      double* row = sink.counts + static_cast<int64_t>(sink.cw[code]) * 2;
      const int32_t k = sink.cm[code];
      if (k >= 0) row[0] += t[k];
      row[1] += 1;
    }
  }
}

// E-step over questions [q0, q1): writes the posterior, adds it to psum[K]
// and (fused M-step) to the sink's counts. `old` (may be null) is the
// previous posterior for the convergence check; scratch holds K doubles.
// KK > 0 fixes K at compile time (K = 2 for verification problems).
template <Sink S, int KK>
BlockResult EStep(const Csr& c, int32_t q0, int32_t q1, const Params& prm, const double* old, double* post,
                  double* psum, const SinkArgs& sink, double* scratch) {
  const int32_t K = KK > 0 ? KK : prm.K;
  double local_p[KK > 0 ? KK : 1], local_t[KK > 0 ? KK : 1], local_ps[KK > 0 ? KK : 1];
  double* p = KK > 0 ? local_p : scratch;
  double* ps = KK > 0 ? local_ps : psum;
  for (int32_t k = 0; k < K; ++k) ps[k] = psum[k];
  BlockResult r;
  double prod = 1, logsum = 0;
  int64_t exps = 0;
  for (int32_t q = q0; q < q1; ++q) {
    double sum = 0;
    if (!prm.log_domain) {
      for (int32_t k = 0; k < K; ++k) p[k] = prm.prior[k];
      int64_t scale = 0;
      for (int64_t i = c.off[q]; i < c.off[q + 1]; ++i) {
        const double* row = prm.prob + static_cast<int64_t>(c.code[i]) * K;
        double m = 0;
        for (int32_t k = 0; k < K; ++k) {
          p[k] *= row[k];
          m = p[k] > m ? p[k] : m;
        }
        if (m < kTiny && m > 0) {
          // m = f * 2^e: scale by 2^-e in two exact steps (2^-e may exceed DBL_MAX).
          int e = 0;
          std::frexp(m, &e);
          const double s1 = std::ldexp(1.0, -e / 2), s2 = std::ldexp(1.0, -e - (-e / 2));
          for (int32_t k = 0; k < K; ++k) p[k] = p[k] * s1 * s2;
          scale += e;
        }
      }
      for (int32_t k = 0; k < K; ++k) sum += p[k];
      if (sum > 0) {
        int e = 0;
        prod *= Frexp(sum, &e);
        exps += e + scale;
        if (prod < kProdFloor) {
          int e2 = 0;
          prod = Frexp(prod, &e2);
          exps += e2;
        }
      }
    } else {
      for (int32_t k = 0; k < K; ++k) p[k] = prm.logp[k];
      for (int64_t i = c.off[q]; i < c.off[q + 1]; ++i) {
        const double* row = prm.logc + static_cast<int64_t>(c.code[i]) * K;
        for (int32_t k = 0; k < K; ++k) p[k] += row[k];
      }
      double m = p[0];
      for (int32_t k = 1; k < K; ++k) m = p[k] > m ? p[k] : m;
      if (m != kNegInf && !std::isnan(m)) {
        for (int32_t k = 0; k < K; ++k) {
          p[k] = std::exp(p[k] - m);
          sum += p[k];
        }
        logsum += m + std::log(sum);
      }
    }
    double* t = KK > 0 ? local_t : post + static_cast<int64_t>(q) * K;
    if (sum > 0) {
      const double inv = 1 / sum;
      for (int32_t k = 0; k < K; ++k) t[k] = p[k] * inv;
    } else {
      // Every class impossible (zero-probability answers): uniform, likelihood 0.
      for (int32_t k = 0; k < K; ++k) t[k] = 1.0 / K;
      logsum += kNegInf;
    }
    for (int32_t k = 0; k < K; ++k) {
      if (old) {
        const double d = std::fabs(t[k] - old[static_cast<int64_t>(q) * K + k]);
        r.change = d > r.change ? d : r.change;
      }
      ps[k] += t[k];
      if (KK > 0) post[static_cast<int64_t>(q) * K + k] = t[k];
    }
    AddCounts<S, KK>(c, q, K, t, sink);
  }
  for (int32_t k = 0; k < K; ++k) psum[k] = ps[k];
  r.ll = std::log(prod) + static_cast<double>(exps) * kLn2 + logsum;
  return r;
}

#if defined(__SSE2__)
// EStep for K = 2 in probability space with SSE2 pairs: the same IEEE
// operations in the same order as EStep<S, 2>, two classes per instruction.
template <Sink S>
BlockResult EStepPair(const Csr& c, int32_t q0, int32_t q1, const Params& prm, const double* old, double* post,
                      double* psum, const SinkArgs& sink, double* scratch) {
  const __m128d prior = _mm_loadu_pd(prm.prior);
  const __m128d abs_mask = _mm_castsi128_pd(_mm_set1_epi64x(0x7fffffffffffffffLL));
  __m128d ps = _mm_loadu_pd(psum);
  __m128d change = _mm_setzero_pd();
  BlockResult r;
  double prod = 1, logsum = 0;
  int64_t exps = 0;
  const int32_t* code = c.code.data();
  const int64_t* off = c.off.data();
  const double* prob = prm.prob;
  const int32_t* emin = prm.emin;
  double* counts = sink.counts;
  for (int32_t q = q0; q < q1; ++q) {
    __m128d p = prior;
    int64_t scale = 0;
    const int64_t b = off[q], e = off[q + 1];
    // Products with an exponent bound >= emin_floor stay normal: no rescale
    // can be needed, and skipping it changes nothing (rescaling multiplies by
    // exact powers of two). Otherwise redo the question with the checks.
    int64_t bound = 0;
    for (int64_t i = b; i < e; ++i) {
      const int32_t ci = code[i];
      p = _mm_mul_pd(p, _mm_loadu_pd(prob + static_cast<int64_t>(ci) * 2));
      bound += emin[ci];
    }
    if (bound < prm.emin_floor) {
      p = prior;
      for (int64_t i = b; i < e; ++i) {
        p = _mm_mul_pd(p, _mm_loadu_pd(prm.prob + static_cast<int64_t>(code[i]) * 2));
        double pp[2];
        _mm_storeu_pd(pp, p);
        const double m = pp[1] > pp[0] ? pp[1] : pp[0];
        if (m < kTiny && m > 0) {
          int ex = 0;
          std::frexp(m, &ex);
          const double s1 = std::ldexp(1.0, -ex / 2), s2 = std::ldexp(1.0, -ex - (-ex / 2));
          p = _mm_mul_pd(_mm_mul_pd(p, _mm_set1_pd(s1)), _mm_set1_pd(s2));
          scale += ex;
        }
      }
    }
    double pp[2];
    _mm_storeu_pd(pp, p);
    const double sum = 0 + pp[0] + pp[1];
    __m128d t;
    if (sum > 0) {
      int ex = 0;
      prod *= Frexp(sum, &ex);
      exps += ex + scale;
      if (prod < kProdFloor) {
        int e2 = 0;
        prod = Frexp(prod, &e2);
        exps += e2;
      }
      t = _mm_mul_pd(p, _mm_set1_pd(1 / sum));
    } else {
      t = _mm_set1_pd(0.5);
      logsum += kNegInf;
    }
    if (old) change = _mm_max_pd(change, _mm_and_pd(_mm_sub_pd(t, _mm_loadu_pd(old + static_cast<int64_t>(q) * 2)), abs_mask));
    ps = _mm_add_pd(ps, t);
    _mm_storeu_pd(post + static_cast<int64_t>(q) * 2, t);
    if (S == Sink::kDawidSkene) {
      for (int64_t i = b; i < e; ++i) {
        double* row = counts + static_cast<int64_t>(code[i]) * 2;
        _mm_storeu_pd(row, _mm_add_pd(_mm_loadu_pd(row), t));
      }
    } else if (S == Sink::kOneCoin) {
      _mm_storeu_pd(pp, t);
      for (int64_t i = b; i < e; ++i) {
        double* row = counts + static_cast<int64_t>(sink.cw[code[i]]) * 2;
        const int32_t k = sink.cm[code[i]];
        if (k >= 0) row[0] += pp[k];
        row[1] += 1;
      }
    }
  }
  _mm_storeu_pd(psum, ps);
  double ch[2];
  _mm_storeu_pd(ch, change);
  r.change = ch[1] > ch[0] ? ch[1] : ch[0];
  r.ll = std::log(prod) + static_cast<double>(exps) * kLn2 + logsum;
  (void)scratch;
  return r;
}
#endif

template <Sink S>
BlockResult EStepAnyK(const Csr& c, int32_t q0, int32_t q1, const Params& prm, const double* old, double* post,
                      double* psum, const SinkArgs& sink, double* scratch) {
#if defined(__SSE2__)
  if (prm.K == 2 && !prm.log_domain) return EStepPair<S>(c, q0, q1, prm, old, post, psum, sink, scratch);
#endif
  if (prm.K == 2) return EStep<S, 2>(c, q0, q1, prm, old, post, psum, sink, scratch);
  return EStep<S, 0>(c, q0, q1, prm, old, post, psum, sink, scratch);
}

// Blocks of the fused E/M pass: up to 64, fewer when the per-block count
// partials (W * width doubles each) would outweigh the answers.
inline int FusedBlocks(int64_t n, int64_t W, int64_t width, int32_t Q) {
  const int64_t by_size = n / std::max<int64_t>(1, 4 * W * width);
  return static_cast<int>(std::max<int64_t>(1, std::min<int64_t>({64, by_size, std::max<int32_t>(Q, 1)})));
}
}  // namespace estep
}  // namespace aggregate
}  // namespace realabel
