// Aggregation kernels (see aggregate.h). The loops here are mirrored one to
// one by src/aggregate/em-ts.ts, gold-ts.ts and mv-ts.ts: change both.
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
#include "aggregate.h"

#include <algorithm>
#include <atomic>
#include <cmath>
#include <condition_variable>
#include <cstring>
#if defined(__SSE2__)
#include <emmintrin.h>
#endif
#include <limits>
#include <mutex>
#include <thread>

namespace realabel {
namespace agg {

namespace {

constexpr double kNegInf = -std::numeric_limits<double>::infinity();
constexpr double kLn2 = 0.693147180559945309417232121458176568;
// Rescale a question's running products when their largest falls below
// 2^-256 (by an exact power of two that brings it to [0.5, 1)).
const double kTiny = std::ldexp(1.0, -256);
// Renormalise the running likelihood product below 2^-512.
const double kProdFloor = std::ldexp(1.0, -512);
// A nonzero parameter below 2^-1000 could underflow a product: use log space.
const double kLogDomainBelow = std::ldexp(1.0, -1000);

// A reusable barrier whose last arriving thread runs `completion` before the
// others are released (like C++20 std::barrier). Waiters spin briefly (an EM
// phase takes well under a millisecond) before sleeping on the condvar.
class Barrier {
 public:
  explicit Barrier(int n) : n_(n) {}
  template <typename F>
  void Arrive(F&& completion) {
    const uint64_t gen = gen_.load(std::memory_order_acquire);
    if (count_.fetch_add(1, std::memory_order_acq_rel) + 1 == n_) {
      completion();
      count_.store(0, std::memory_order_relaxed);
      {
        std::lock_guard<std::mutex> lock(mu_);
        gen_.store(gen + 1, std::memory_order_release);
      }
      cv_.notify_all();
      return;
    }
    for (int i = 0; i < 2000; ++i) {
      if (gen_.load(std::memory_order_acquire) != gen) return;
      std::this_thread::yield();
    }
    std::unique_lock<std::mutex> lock(mu_);
    cv_.wait(lock, [&] { return gen_.load(std::memory_order_acquire) != gen; });
  }

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  const int n_;
  std::atomic<int> count_{0};
  std::atomic<uint64_t> gen_{0};
};

// Runs body(tid) on `threads` threads (the caller is tid 0).
template <typename F>
void RunTeam(int threads, F&& body) {
  std::vector<std::thread> pool;
  pool.reserve(threads - 1);
  for (int t = 1; t < threads; ++t) pool.emplace_back([&body, t] { body(t); });
  body(0);
  for (auto& th : pool) th.join();
}

inline int64_t BlockStart(int64_t n, int b, int blocks) { return n * b / blocks; }

// Answers grouped by question (stable): off[Q+1], code[i] = w*A + a.
struct Csr {
  std::vector<int64_t> off;
  std::vector<int32_t> code;
};

Csr QuestionCsr(const Answers& ans) {
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
int64_t RowExponents(const double* prob, int64_t codes, int32_t K, const double* prior, int32_t* emin) {
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
int FusedBlocks(int64_t n, int64_t W, int64_t width, int32_t Q) {
  const int64_t by_size = n / std::max<int64_t>(1, 4 * W * width);
  return static_cast<int>(std::max<int64_t>(1, std::min<int64_t>({64, by_size, std::max<int32_t>(Q, 1)})));
}

class EmSolver {
 public:
  EmSolver(const Answers& ans, const EmOptions& opt, const double* init, EmOutput* out)
      : ans_(ans), opt_(opt), out_(out), K_(ans.K), A_(ans.A), AK_(static_cast<int64_t>(ans.A) * ans.K) {
    csr_ = QuestionCsr(ans);
    ds_ = opt.method == Method::kDawidSkene;
    width_ = ds_ ? AK_ : 2;
    qblocks_ = FusedBlocks(ans.n, ans.W, width_, ans.Q);
    const size_t wak = static_cast<size_t>(ans.W) * AK_;
    prob_.assign(wak, 0);
    logc_.assign(wak, 0);
    emin_.assign(static_cast<size_t>(ans.W) * A_, 0);
    skill_.assign(ans.W, 0);
    penalty_.assign(ans.W, 0);
    minpos_.assign(ans.W, 1);
    counts_.assign(static_cast<size_t>(qblocks_) * ans.W * width_, 0);
    if (!ds_) {
      cw_.resize(static_cast<size_t>(ans.W) * A_);
      cm_.resize(cw_.size());
      for (int32_t w = 0; w < ans.W; ++w) {
        for (int32_t a = 0; a < A_; ++a) {
          cw_[static_cast<size_t>(w) * A_ + a] = w;
          cm_[static_cast<size_t>(w) * A_ + a] = opt.match[a];
        }
      }
    }
    cur_.assign(init, init + static_cast<size_t>(ans.Q) * K_);
    next_.assign(cur_.size(), 0);
    logp_.assign(K_, 0);
    prior_.assign(K_, 0);
    psum_.assign(static_cast<size_t>(qblocks_) * K_, 0);
    bll_.assign(qblocks_, 0);
    bchange_.assign(qblocks_, 0);
  }

  void Run(int threads) {
    threads = std::max(1, std::min(threads, std::max(qblocks_, kWorkerBlocks)));
    scratch_.assign(static_cast<size_t>(threads) * (width_ + K_), 0);
    if (threads == 1) {
      for (int b = 0; b < qblocks_; ++b) CountBlock(b);
      if (opt_.max_iter > 0) {
        for (;;) {
          for (int b = 0; b < kWorkerBlocks; ++b) MStepBlock(b, Scratch(0));
          MStepFinish();
          for (int b = 0; b < qblocks_; ++b) EStepBlock(b, Scratch(0));
          if (EStepFinish()) break;
        }
      }
      Emit();
      return;
    }
    Barrier barrier(threads);
    std::atomic<int> next_block{0};
    bool stop = opt_.max_iter <= 0;
    RunTeam(threads, [&](int tid) {
      double* s = Scratch(tid);
      for (int b; (b = next_block.fetch_add(1)) < qblocks_;) CountBlock(b);
      barrier.Arrive([&] { next_block.store(0); });
      while (!stop) {
        for (int b; (b = next_block.fetch_add(1)) < kWorkerBlocks;) MStepBlock(b, s);
        barrier.Arrive([&] {
          MStepFinish();
          next_block.store(0);
        });
        for (int b; (b = next_block.fetch_add(1)) < qblocks_;) EStepBlock(b, s);
        barrier.Arrive([&] {
          stop = EStepFinish();
          next_block.store(0);
        });
      }
    });
    Emit();
  }

 private:
  static constexpr int kWorkerBlocks = 64;

  double* Scratch(int tid) { return scratch_.data() + static_cast<size_t>(tid) * (width_ + K_); }

  SinkArgs SinkFor(int b) {
    SinkArgs s;
    s.counts = counts_.data() + static_cast<size_t>(b) * ans_.W * width_;
    s.cw = cw_.data();
    s.cm = cm_.data();
    return s;
  }

  // The counts of the starting posterior, as if an E-step had produced it.
  void CountBlock(int b) {
    const int32_t q0 = static_cast<int32_t>(BlockStart(ans_.Q, b, qblocks_));
    const int32_t q1 = static_cast<int32_t>(BlockStart(ans_.Q, b + 1, qblocks_));
    const SinkArgs sink = SinkFor(b);
    double* ps = psum_.data() + static_cast<size_t>(b) * K_;
    for (int32_t q = q0; q < q1; ++q) {
      const double* t = cur_.data() + static_cast<int64_t>(q) * K_;
      for (int32_t k = 0; k < K_; ++k) ps[k] += t[k];
      if (ds_) {
        AddCounts<Sink::kDawidSkene, 0>(csr_, q, K_, t, sink);
      } else {
        AddCounts<Sink::kOneCoin, 0>(csr_, q, K_, t, sink);
      }
    }
  }

  // M-step for the workers of block b: sum their counts over the question
  // blocks in block order, then the Dirichlet(1 + smoothing) MAP parameters.
  void MStepBlock(int b, double* acc) {
    const int32_t w0 = static_cast<int32_t>(BlockStart(ans_.W, b, kWorkerBlocks));
    const int32_t w1 = static_cast<int32_t>(BlockStart(ans_.W, b + 1, kWorkerBlocks));
    const size_t stride = static_cast<size_t>(ans_.W) * width_;
    for (int32_t w = w0; w < w1; ++w) {
      std::fill(acc, acc + width_, 0.0);
      for (int qb = 0; qb < qblocks_; ++qb) {
        const double* src = counts_.data() + qb * stride + static_cast<size_t>(w) * width_;
        for (int64_t j = 0; j < width_; ++j) acc[j] += src[j];
      }
      Finalize(w, acc);
    }
  }

  // acc layout: DS [a*K + k]; one-coin [correct, total].
  void Finalize(int32_t w, const double* acc) {
    const double sm = opt_.smoothing;
    double* prob = prob_.data() + static_cast<size_t>(w) * AK_;
    double pen = 0, minpos = 1;
    if (ds_) {
      for (int32_t k = 0; k < K_; ++k) {
        double denom = 0;
        for (int32_t a = 0; a < A_; ++a) denom += acc[a * K_ + k];
        denom += A_ * sm;
        for (int32_t a = 0; a < A_; ++a) {
          const double p = denom > 0 ? (acc[a * K_ + k] + sm) / denom : 1.0 / A_;
          prob[a * K_ + k] = p;
          if (p > 0 && p < minpos) minpos = p;
          if (sm > 0) pen += sm * std::log(p);
        }
      }
    } else {
      const double denom = acc[1] + 2 * sm;
      const double p = denom > 0 ? (acc[0] + sm) / denom : 1.0 / A_;
      const double wrong = (1 - p) / (A_ - 1);
      for (int32_t a = 0; a < A_; ++a) {
        for (int32_t k = 0; k < K_; ++k) prob[a * K_ + k] = opt_.match[a] == k ? p : wrong;
      }
      if (p > 0 && p < minpos) minpos = p;
      if (wrong > 0 && wrong < minpos) minpos = wrong;
      skill_[w] = p;
      if (sm > 0) pen = sm * (std::log(p) + std::log(1 - p));
    }
    penalty_[w] = pen;
    minpos_[w] = minpos;
  }

  // Serial: prior, smoothing penalty, and the E-step's number space.
  void MStepFinish() {
    double pen = 0, minpos = 1;
    for (int32_t w = 0; w < ans_.W; ++w) {
      pen += penalty_[w];
      minpos = minpos_[w] < minpos ? minpos_[w] : minpos;
    }
    penalty_sum_ = pen;
    ReducePrior();
    for (int32_t k = 0; k < K_; ++k) {
      if (prior_[k] > 0 && prior_[k] < minpos) minpos = prior_[k];
    }
    log_domain_ = minpos < kLogDomainBelow;
    if (K_ == 2) emin_floor_ = RowExponents(prob_.data(), static_cast<int64_t>(ans_.W) * A_, K_, prior_.data(), emin_.data());
    if (log_domain_) {
      for (size_t j = 0; j < prob_.size(); ++j) logc_[j] = std::log(prob_[j]);
      for (int32_t k = 0; k < K_; ++k) logp_[k] = std::log(prior_[k]);
    }
  }

  void EStepBlock(int b, double* scratch) {
    const int32_t q0 = static_cast<int32_t>(BlockStart(ans_.Q, b, qblocks_));
    const int32_t q1 = static_cast<int32_t>(BlockStart(ans_.Q, b + 1, qblocks_));
    double* ps = psum_.data() + static_cast<size_t>(b) * K_;
    std::fill(ps, ps + K_, 0.0);
    const SinkArgs sink = SinkFor(b);
    std::fill(sink.counts, sink.counts + static_cast<size_t>(ans_.W) * width_, 0.0);
    Params prm;
    prm.K = K_;
    prm.prob = prob_.data();
    prm.logc = logc_.data();
    prm.prior = prior_.data();
    prm.logp = logp_.data();
    prm.log_domain = log_domain_;
    prm.emin = emin_.data();
    prm.emin_floor = emin_floor_;
    const BlockResult r =
        ds_ ? EStepAnyK<Sink::kDawidSkene>(csr_, q0, q1, prm, cur_.data(), next_.data(), ps, sink, scratch)
            : EStepAnyK<Sink::kOneCoin>(csr_, q0, q1, prm, cur_.data(), next_.data(), ps, sink, scratch);
    bll_[b] = r.ll;
    bchange_[b] = r.change;
  }

  // Serial: reduce the blocks, record the iteration, decide whether to stop.
  bool EStepFinish() {
    double ll = 0, change = 0;
    for (int b = 0; b < qblocks_; ++b) {
      ll += bll_[b];
      change = bchange_[b] > change ? bchange_[b] : change;
    }
    out_->log_likelihood.push_back(ll);
    out_->objective.push_back(ll + penalty_sum_);
    out_->iterations += 1;
    cur_.swap(next_);
    if (change < opt_.tol) out_->converged = true;
    return out_->converged || out_->iterations >= opt_.max_iter;
  }

  // The class prior: column means of the posterior the counts came from.
  void ReducePrior() {
    for (int32_t k = 0; k < K_; ++k) {
      double s = 0;
      for (int b = 0; b < qblocks_; ++b) s += psum_[static_cast<size_t>(b) * K_ + k];
      prior_[k] = ans_.Q > 0 ? s / ans_.Q : 1.0 / K_;
    }
  }

  void Emit() {
    if (out_->iterations == 0) ReducePrior();
    std::copy(cur_.begin(), cur_.end(), out_->posterior);
    for (int32_t w = 0; w < ans_.W; ++w) {
      for (int32_t k = 0; k < K_; ++k) {
        for (int32_t a = 0; a < A_; ++a) {
          out_->confusion[(static_cast<int64_t>(w) * K_ + k) * A_ + a] = prob_[static_cast<size_t>(w) * AK_ + a * K_ + k];
        }
      }
      if (out_->skill) out_->skill[w] = skill_[w];
    }
    for (int32_t k = 0; k < K_; ++k) out_->prior[k] = prior_[k];
  }

  const Answers& ans_;
  const EmOptions& opt_;
  EmOutput* out_;
  const int32_t K_, A_;
  const int64_t AK_;
  bool ds_ = true;
  int64_t width_ = 0;
  int qblocks_ = 1;
  bool log_domain_ = false;
  int64_t emin_floor_ = 0;
  std::vector<int32_t> emin_;
  double penalty_sum_ = 0;
  Csr csr_;
  std::vector<int32_t> cw_, cm_;
  std::vector<double> prob_, logc_, skill_, penalty_, minpos_, counts_, cur_, next_;
  std::vector<double> logp_, prior_, psum_, bll_, bchange_, scratch_;
};

}  // namespace

void CheckSizes(int64_t Q, int64_t W, int64_t A, int64_t K) {
  CheckRange("numQuestions", Q, 0, INT32_MAX);
  CheckRange("numWorkers", W, 0, INT32_MAX);
  CheckRange("numAnswers", A, 1, 1 << 16);
  CheckRange("numClasses", K, 1, 1 << 16);
  if (W * A > INT32_MAX) throw ArgError("numWorkers * numAnswers is too large");
  if (W * A * K > kMaxParams) throw ArgError("numWorkers * numClasses * numAnswers is too large");
  if (Q * K > (int64_t{1} << 40)) throw ArgError("numQuestions * numClasses is too large");
}

void CheckAnswers(const std::string& what, Answers* ans, int64_t qLen, int64_t wLen, int64_t aLen) {
  const bool hasW = wLen >= 0;
  if (aLen != qLen || (hasW && wLen != qLen)) {
    throw ArgError(what + ": question, worker and answer arrays differ in length");
  }
  const auto out = [&](const char* name, int64_t i, int32_t v, int64_t hi) {
    return ArgError(what + ": " + name + "[" + std::to_string(i) + "] = " + std::to_string(v) + " is out of range [0, " +
                    std::to_string(hi) + ")");
  };
  for (int64_t i = 0; i < qLen; ++i) {
    if (ans->q[i] < 0 || ans->q[i] >= ans->Q) throw out("question", i, ans->q[i], ans->Q);
    if (ans->a[i] < 0 || ans->a[i] >= ans->A) throw out("answer", i, ans->a[i], ans->A);
    if (hasW && (ans->w[i] < 0 || ans->w[i] >= ans->W)) throw out("worker", i, ans->w[i], ans->W);
  }
  ans->n = qLen;
}

void CheckCount(const std::string& what, int64_t actual, int64_t expected, const char* formula) {
  if (actual != expected) throw ArgError(what + ": expected " + formula + " values");
}

void CheckFinite(const std::string& what, const double* x, int64_t n, bool nonneg) {
  for (int64_t i = 0; i < n; ++i) {
    if (!std::isfinite(x[i]) || (nonneg && x[i] < 0)) {
      throw ArgError(what + "[" + std::to_string(i) + "] = " + std::to_string(x[i]) + " is not a finite" +
                     (nonneg ? " non-negative" : "") + " number");
    }
  }
}

void CheckEmOptions(const EmOptions& opt, int64_t A, int64_t K, int64_t matchLen) {
  CheckRange("options.method", static_cast<int64_t>(opt.method), 0, 1);
  CheckRange("options.maxIter", opt.max_iter, 0, 100000000);
  if (!std::isfinite(opt.tol) || opt.tol < 0) throw ArgError("options.tol must be a finite number >= 0");
  if (!std::isfinite(opt.smoothing) || opt.smoothing < 0) throw ArgError("options.smoothing must be a finite number >= 0");
  if (opt.method != Method::kOneCoin) return;
  if (A < 2) throw ArgError("options.numAnswers must be >= 2 for one-coin");
  if (!opt.match || matchLen != A) throw ArgError("options.match: expected numAnswers values");
  for (int64_t i = 0; i < A; ++i) {
    if (opt.match[i] < -1 || opt.match[i] >= K) throw ArgError("options.match[" + std::to_string(i) + "] is out of range [-1, numClasses)");
  }
}

void CheckTruth(const int32_t* truth, int64_t Q, int64_t K) {
  for (int64_t i = 0; i < Q; ++i) {
    if (truth[i] < -1 || truth[i] >= K) {
      throw ArgError("truth[" + std::to_string(i) + "] = " + std::to_string(truth[i]) + " is out of range [-1, " +
                     std::to_string(K) + ")");
    }
  }
}

void CheckSmoothing(double smoothing) {
  if (!std::isfinite(smoothing) || smoothing < 0) throw ArgError("smoothing must be a finite number >= 0");
}

void MajorityVote(const Answers& ans, const double* votes, double* out) {
  const int32_t K = ans.K;
  std::fill(out, out + static_cast<int64_t>(ans.Q) * K, 0.0);
  for (int64_t i = 0; i < ans.n; ++i) {
    const double* v = votes + static_cast<int64_t>(ans.a[i]) * K;
    double* t = out + static_cast<int64_t>(ans.q[i]) * K;
    for (int32_t k = 0; k < K; ++k) t[k] += v[k];
  }
  for (int32_t q = 0; q < ans.Q; ++q) {
    double* t = out + static_cast<int64_t>(q) * K;
    double s = 0;
    for (int32_t k = 0; k < K; ++k) s += t[k];
    for (int32_t k = 0; k < K; ++k) t[k] = s > 0 ? t[k] / s : 1.0 / K;
  }
}

void RunEm(const Answers& ans, const EmOptions& opt, const double* init, int threads, EmOutput* out) {
  EmSolver solver(ans, opt, init, out);
  solver.Run(threads);
}

void GoldConfusion(const Answers& ans, const int32_t* truth, double smoothing, double* confusion, double* counts) {
  const int32_t K = ans.K, A = ans.A, W = ans.W;
  const int64_t KA = static_cast<int64_t>(K) * A;
  std::fill(confusion, confusion + W * KA, 0.0);
  std::fill(counts, counts + W, 0.0);
  for (int64_t i = 0; i < ans.n; ++i) {
    const int32_t k = truth[ans.q[i]];
    if (k < 0) continue;
    confusion[ans.w[i] * KA + static_cast<int64_t>(k) * A + ans.a[i]] += 1;
    counts[ans.w[i]] += 1;
  }
  int32_t with = 0;
  for (int32_t w = 0; w < W; ++w) {
    if (counts[w] == 0) continue;
    ++with;
    for (int32_t k = 0; k < K; ++k) {
      double* row = confusion + w * KA + static_cast<int64_t>(k) * A;
      double denom = 0;
      for (int32_t a = 0; a < A; ++a) denom += row[a];
      denom += A * smoothing;
      for (int32_t a = 0; a < A; ++a) row[a] = denom > 0 ? (row[a] + smoothing) / denom : 1.0 / A;
    }
  }
  // Mean of the calibrated rows, summed in worker order.
  std::vector<double> mean(static_cast<size_t>(KA), 0);
  for (int32_t w = 0; w < W; ++w) {
    if (counts[w] == 0) continue;
    for (int64_t j = 0; j < KA; ++j) mean[j] += confusion[w * KA + j];
  }
  for (int64_t j = 0; j < KA; ++j) mean[j] = with > 0 ? mean[j] / with : 1.0 / A;
  for (int32_t w = 0; w < W; ++w) {
    if (counts[w] != 0) continue;
    std::copy(mean.begin(), mean.end(), confusion + w * KA);
  }
}

double ScorePass(const Answers& ans, const double* prior, const double* confusion, int threads, double* posterior) {
  constexpr int kBlocks = 64;
  std::vector<int32_t> starts(kBlocks + 1);
  for (int b = 0; b <= kBlocks; ++b) starts[b] = static_cast<int32_t>(BlockStart(ans.Q, b, kBlocks));
  std::vector<double> bll(kBlocks, 0);
  ScorePassBlocks(ans, prior, confusion, threads, posterior, starts.data(), kBlocks, bll.data());
  double ll = 0;
  for (int b = 0; b < kBlocks; ++b) ll += bll[b];
  return ll;
}

void ScorePassBlocks(const Answers& ans, const double* prior, const double* confusion, int threads, double* posterior,
                     const int32_t* starts, int32_t kBlocks, double* bll) {
  const int32_t K = ans.K, A = ans.A;
  const Csr csr = QuestionCsr(ans);
  std::vector<double> prob(static_cast<size_t>(ans.W) * A * K), logc, logp;
  double minpos = 1;
  for (int32_t w = 0; w < ans.W; ++w) {
    for (int32_t k = 0; k < K; ++k) {
      for (int32_t a = 0; a < A; ++a) {
        const double p = confusion[(static_cast<int64_t>(w) * K + k) * A + a];
        prob[(static_cast<size_t>(w) * A + a) * K + k] = p;
        if (p > 0 && p < minpos) minpos = p;
      }
    }
  }
  for (int32_t k = 0; k < K; ++k) {
    if (prior[k] > 0 && prior[k] < minpos) minpos = prior[k];
  }
  Params prm;
  prm.K = K;
  prm.prob = prob.data();
  prm.prior = prior;
  prm.log_domain = minpos < kLogDomainBelow;
  std::vector<int32_t> emin(static_cast<size_t>(ans.W) * A);
  prm.emin = emin.data();
  if (K == 2) prm.emin_floor = RowExponents(prob.data(), static_cast<int64_t>(ans.W) * A, K, prior, emin.data());
  if (prm.log_domain) {
    logc.resize(prob.size());
    logp.resize(K);
    for (size_t j = 0; j < prob.size(); ++j) logc[j] = std::log(prob[j]);
    for (int32_t k = 0; k < K; ++k) logp[k] = std::log(prior[k]);
    prm.logc = logc.data();
    prm.logp = logp.data();
  }
  std::vector<double> psum(static_cast<size_t>(kBlocks) * K, 0);
  threads = std::max(1, std::min<int>(threads, std::max<int32_t>(kBlocks, 1)));
  std::atomic<int> next_block{0};
  auto work = [&](int) {
    std::vector<double> p(K);
    for (int b; (b = next_block.fetch_add(1)) < kBlocks;) {
      bll[b] = EStepAnyK<Sink::kNone>(csr, starts[b], starts[b + 1], prm, nullptr, posterior, psum.data() + static_cast<size_t>(b) * K,
                                  SinkArgs{}, p.data())
                   .ll;
    }
  };
  if (threads == 1) {
    work(0);
  } else {
    RunTeam(threads, work);
  }
}

}  // namespace agg
}  // namespace realabel
