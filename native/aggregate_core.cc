// Aggregation kernels (see aggregate.h). The loops here are mirrored one to
// one by src/aggregate/em-ts.ts, gold-ts.ts and mv-ts.ts: change both.
#include "aggregate.h"

#include <algorithm>
#include <atomic>
#include <cmath>
#include <condition_variable>
#include <limits>
#include <mutex>
#include <thread>

namespace realabel {
namespace agg {

namespace {

constexpr double kNegInf = -std::numeric_limits<double>::infinity();

// A reusable barrier whose last arriving thread runs `completion` before the
// others are released (like C++20 std::barrier).
class Barrier {
 public:
  explicit Barrier(int n) : n_(n) {}
  template <typename F>
  void Arrive(F&& completion) {
    std::unique_lock<std::mutex> lock(mu_);
    const uint64_t gen = gen_;
    if (++count_ == n_) {
      completion();
      count_ = 0;
      ++gen_;
      cv_.notify_all();
      return;
    }
    cv_.wait(lock, [&] { return gen_ != gen; });
  }

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  int n_;
  int count_ = 0;
  uint64_t gen_ = 0;
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

// Stable counting sort of answers by question: off[Q+1], code[i] = w*A + a.
void QuestionCsr(const Answers& ans, std::vector<int64_t>* off, std::vector<int32_t>* code) {
  off->assign(static_cast<size_t>(ans.Q) + 1, 0);
  for (int64_t i = 0; i < ans.n; ++i) ++(*off)[ans.q[i] + 1];
  for (int32_t q = 0; q < ans.Q; ++q) (*off)[q + 1] += (*off)[q];
  std::vector<int64_t> pos(off->begin(), off->end() - 1);
  code->resize(static_cast<size_t>(ans.n));
  for (int64_t i = 0; i < ans.n; ++i) (*code)[pos[ans.q[i]]++] = ans.w[i] * ans.A + ans.a[i];
}

// Stable counting sort by worker: off[W+1], wq[i] = question, wa[i] = answer.
void WorkerCsr(const Answers& ans, std::vector<int64_t>* off, std::vector<int32_t>* wq, std::vector<int32_t>* wa) {
  off->assign(static_cast<size_t>(ans.W) + 1, 0);
  for (int64_t i = 0; i < ans.n; ++i) ++(*off)[ans.w[i] + 1];
  for (int32_t w = 0; w < ans.W; ++w) (*off)[w + 1] += (*off)[w];
  std::vector<int64_t> pos(off->begin(), off->end() - 1);
  wq->resize(static_cast<size_t>(ans.n));
  wa->resize(static_cast<size_t>(ans.n));
  for (int64_t i = 0; i < ans.n; ++i) {
    const int64_t p = pos[ans.w[i]]++;
    (*wq)[p] = ans.q[i];
    (*wa)[p] = ans.a[i];
  }
}

inline int64_t BlockStart(int64_t n, int b, int blocks) { return n * b / blocks; }

// E-step over questions [q0, q1): posterior from log prior + log confusion
// (layout [(w*A + a)*K + k]). Returns the block's log-likelihood; adds the
// new posterior to psum[K]; max |new - old| into *change when old != null.
double EStepRange(int32_t q0, int32_t q1, int32_t K, const int64_t* off, const int32_t* code, const double* logp,
                  const double* logc, const double* old, double* post, double* psum, double* change, double* lp) {
  double ll = 0;
  double ch = 0;
  for (int32_t q = q0; q < q1; ++q) {
    for (int32_t k = 0; k < K; ++k) lp[k] = logp[k];
    for (int64_t i = off[q]; i < off[q + 1]; ++i) {
      const double* row = logc + static_cast<int64_t>(code[i]) * K;
      for (int32_t k = 0; k < K; ++k) lp[k] += row[k];
    }
    double m = lp[0];
    for (int32_t k = 1; k < K; ++k) m = lp[k] > m ? lp[k] : m;
    double* t = post + static_cast<int64_t>(q) * K;
    if (m == kNegInf || std::isnan(m)) {
      // Every class impossible (zero-probability answers): fall back to uniform.
      for (int32_t k = 0; k < K; ++k) lp[k] = 1.0 / K;
      ll += kNegInf;
    } else {
      double s = 0;
      for (int32_t k = 0; k < K; ++k) {
        lp[k] = std::exp(lp[k] - m);
        s += lp[k];
      }
      for (int32_t k = 0; k < K; ++k) lp[k] = lp[k] / s;
      ll += m + std::log(s);
    }
    for (int32_t k = 0; k < K; ++k) {
      if (old) {
        const double d = std::fabs(lp[k] - old[static_cast<int64_t>(q) * K + k]);
        ch = d > ch ? d : ch;
      }
      t[k] = lp[k];
      psum[k] += lp[k];
    }
  }
  if (change) *change = ch;
  return ll;
}

class EmSolver {
 public:
  EmSolver(const Answers& ans, const EmOptions& opt, const double* init, EmOutput* out)
      : ans_(ans), opt_(opt), out_(out), K_(ans.K), A_(ans.A), AK_(static_cast<int64_t>(ans.A) * ans.K) {
    QuestionCsr(ans, &qoff_, &qcode_);
    WorkerCsr(ans, &woff_, &wq_, &wa_);
    mblocks_ = AnswerBlocks(AK_);
    acc_width_ = opt.method == Method::kDawidSkene ? AK_ : 2;
    const size_t wak = static_cast<size_t>(ans.W) * AK_;
    prob_.assign(wak, 0);
    logc_.assign(wak, 0);
    skill_.assign(ans.W, 0);
    penalty_.assign(ans.W, 0);
    split_.assign(static_cast<size_t>(ans.W) * acc_width_, 0);
    slot_w_.assign(2 * mblocks_, -1);
    slot_acc_.assign(static_cast<size_t>(2 * mblocks_) * acc_width_, 0);
    cur_.assign(init, init + static_cast<size_t>(ans.Q) * K_);
    next_.assign(cur_.size(), 0);
    logp_.assign(K_, 0);
    prior_.assign(K_, 0);
    psum_.assign(static_cast<size_t>(kQuestionBlocks) * K_, 0);
    bll_.assign(kQuestionBlocks, 0);
    bchange_.assign(kQuestionBlocks, 0);
    // Workers without answers keep the smoothed empty row forever.
    std::vector<double> zero(acc_width_, 0);
    for (int32_t w = 0; w < ans.W; ++w) {
      if (woff_[w] == woff_[w + 1]) Finalize(w, zero.data());
    }
    // Prior sums of the initial posterior, per question block in block order.
    for (int b = 0; b < kQuestionBlocks; ++b) {
      const int32_t q0 = static_cast<int32_t>(BlockStart(ans.Q, b, kQuestionBlocks));
      const int32_t q1 = static_cast<int32_t>(BlockStart(ans.Q, b + 1, kQuestionBlocks));
      double* ps = psum_.data() + static_cast<size_t>(b) * K_;
      for (int32_t q = q0; q < q1; ++q) {
        for (int32_t k = 0; k < K_; ++k) ps[k] += cur_[static_cast<size_t>(q) * K_ + k];
      }
    }
    ReducePrior();  // the prior of the initial posterior, reported when max_iter = 0
  }

  void Run(int threads) {
    if (opt_.max_iter <= 0) {
      Emit();
      return;
    }
    threads = std::max(1, std::min(threads, std::max(mblocks_, kQuestionBlocks)));
    if (threads == 1) {
      for (;;) {
        for (int b = 0; b < mblocks_; ++b) MStepBlock(b, scratch(0));
        MStepFinish();
        for (int b = 0; b < kQuestionBlocks; ++b) EStepBlock(b, scratch(0));
        if (EStepFinish()) break;
      }
      Emit();
      return;
    }
    scratch_.assign(static_cast<size_t>(threads) * std::max<int64_t>(acc_width_, K_), 0);
    Barrier barrier(threads);
    std::atomic<int> next_block{0};
    bool stop = false;
    RunTeam(threads, [&](int tid) {
      double* s = scratch(tid);
      for (;;) {
        for (int b; (b = next_block.fetch_add(1)) < mblocks_;) MStepBlock(b, s);
        barrier.Arrive([&] {
          MStepFinish();
          next_block.store(0);
        });
        for (int b; (b = next_block.fetch_add(1)) < kQuestionBlocks;) EStepBlock(b, s);
        barrier.Arrive([&] {
          stop = EStepFinish();
          next_block.store(0);
        });
        if (stop) break;
      }
    });
    Emit();
  }

 private:
  double* scratch(int tid) {
    const size_t width = static_cast<size_t>(std::max<int64_t>(acc_width_, K_));
    if (scratch_.size() < width * (tid + 1)) scratch_.resize(width * (tid + 1), 0);
    return scratch_.data() + width * tid;
  }

  // Counts the answers of block b (answers in worker order); workers wholly
  // inside the block are finalised here, the at most two that straddle its
  // edges leave partial counts in the block's slots.
  void MStepBlock(int b, double* acc) {
    const int64_t s = BlockStart(ans_.n, b, mblocks_);
    const int64_t e = BlockStart(ans_.n, b + 1, mblocks_);
    slot_w_[2 * b] = slot_w_[2 * b + 1] = -1;
    if (s >= e) return;
    int32_t w = static_cast<int32_t>(std::upper_bound(woff_.begin(), woff_.end(), s) - woff_.begin()) - 1;
    for (; w < ans_.W && woff_[w] < e; ++w) {
      const int64_t ws = std::max(woff_[w], s), we = std::min(woff_[w + 1], e);
      if (ws >= we) continue;
      std::fill(acc, acc + acc_width_, 0.0);
      Count(ws, we, acc);
      if (woff_[w] >= s && woff_[w + 1] <= e) {
        Finalize(w, acc);
      } else {
        const int slot = 2 * b + (woff_[w] < s ? 0 : 1);
        slot_w_[slot] = w;
        std::copy(acc, acc + acc_width_, slot_acc_.begin() + static_cast<size_t>(slot) * acc_width_);
      }
    }
  }

  void Count(int64_t s, int64_t e, double* acc) const {
    const double* T = cur_.data();
    if (opt_.method == Method::kDawidSkene) {
      for (int64_t i = s; i < e; ++i) {
        const double* t = T + static_cast<int64_t>(wq_[i]) * K_;
        double* row = acc + static_cast<int64_t>(wa_[i]) * K_;
        for (int32_t k = 0; k < K_; ++k) row[k] += t[k];
      }
    } else {
      for (int64_t i = s; i < e; ++i) {
        const int32_t k = opt_.match[wa_[i]];
        if (k >= 0) acc[0] += T[static_cast<int64_t>(wq_[i]) * K_ + k];
        acc[1] += 1;
      }
    }
  }

  // Parameters of worker w from its counts (layout [a*K + k] for DS,
  // [correct, total] for one-coin), with Dirichlet(1 + smoothing) MAP.
  void Finalize(int32_t w, const double* acc) {
    const double sm = opt_.smoothing;
    double* prob = prob_.data() + static_cast<size_t>(w) * AK_;
    double* logc = logc_.data() + static_cast<size_t>(w) * AK_;
    double pen = 0;
    if (opt_.method == Method::kDawidSkene) {
      for (int32_t k = 0; k < K_; ++k) {
        double denom = 0;
        for (int32_t a = 0; a < A_; ++a) denom += acc[a * K_ + k];
        denom += A_ * sm;
        for (int32_t a = 0; a < A_; ++a) {
          const double p = denom > 0 ? (acc[a * K_ + k] + sm) / denom : 1.0 / A_;
          prob[a * K_ + k] = p;
          logc[a * K_ + k] = std::log(p);
          if (sm > 0) pen += sm * logc[a * K_ + k];
        }
      }
    } else {
      const double denom = acc[1] + 2 * sm;
      const double p = denom > 0 ? (acc[0] + sm) / denom : 1.0 / A_;
      const double wrong = (1 - p) / (A_ - 1);
      const double lp = std::log(p), lw = std::log(wrong);
      for (int32_t a = 0; a < A_; ++a) {
        for (int32_t k = 0; k < K_; ++k) {
          const bool right = opt_.match[a] == k;
          prob[a * K_ + k] = right ? p : wrong;
          logc[a * K_ + k] = right ? lp : lw;
        }
      }
      skill_[w] = p;
      if (sm > 0) pen = sm * (lp + std::log(1 - p));
    }
    penalty_[w] = pen;
  }

  // Serial: combine straddling workers' partial counts in block order.
  void MStepFinish() {
    std::vector<int32_t> touched;
    for (int slot = 0; slot < 2 * mblocks_; ++slot) {
      const int32_t w = slot_w_[slot];
      if (w < 0) continue;
      double* dst = split_.data() + static_cast<size_t>(w) * acc_width_;
      if (touched.empty() || touched.back() != w) {
        touched.push_back(w);
        std::fill(dst, dst + acc_width_, 0.0);
      }
      const double* src = slot_acc_.data() + static_cast<size_t>(slot) * acc_width_;
      for (int64_t j = 0; j < acc_width_; ++j) dst[j] += src[j];
    }
    for (int32_t w : touched) Finalize(w, split_.data() + static_cast<size_t>(w) * acc_width_);
    double pen = 0;
    for (int32_t w = 0; w < ans_.W; ++w) pen += penalty_[w];
    penalty_sum_ = pen;
    ReducePrior();
    for (int32_t k = 0; k < K_; ++k) logp_[k] = std::log(prior_[k]);
  }

  void EStepBlock(int b, double* lp) {
    const int32_t q0 = static_cast<int32_t>(BlockStart(ans_.Q, b, kQuestionBlocks));
    const int32_t q1 = static_cast<int32_t>(BlockStart(ans_.Q, b + 1, kQuestionBlocks));
    double* ps = psum_.data() + static_cast<size_t>(b) * K_;
    std::fill(ps, ps + K_, 0.0);
    bll_[b] = EStepRange(q0, q1, K_, qoff_.data(), qcode_.data(), logp_.data(), logc_.data(), cur_.data(),
                         next_.data(), ps, &bchange_[b], lp);
  }

  // Serial: reduce the blocks, record the iteration, decide whether to stop.
  bool EStepFinish() {
    double ll = 0, change = 0;
    for (int b = 0; b < kQuestionBlocks; ++b) {
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

  // The class prior of the next M-step: column means of the current
  // posterior, from the per-block sums in block order.
  void ReducePrior() {
    for (int32_t k = 0; k < K_; ++k) {
      double s = 0;
      for (int b = 0; b < kQuestionBlocks; ++b) s += psum_[static_cast<size_t>(b) * K_ + k];
      prior_[k] = ans_.Q > 0 ? s / ans_.Q : 1.0 / K_;
    }
  }

  void Emit() {
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
  int mblocks_ = 1;
  int64_t acc_width_ = 0;
  std::vector<int64_t> qoff_, woff_;
  std::vector<int32_t> qcode_, wq_, wa_;
  std::vector<double> prob_, logc_, skill_, penalty_, split_, slot_acc_, cur_, next_;
  std::vector<int32_t> slot_w_;
  std::vector<double> logp_, prior_, psum_, bll_, bchange_, scratch_;
  double penalty_sum_ = 0;
};

}  // namespace

int AnswerBlocks(int64_t ak) {
  const int64_t cap = (int64_t{1} << 22) / std::max<int64_t>(ak, 1);
  return static_cast<int>(std::max<int64_t>(1, std::min<int64_t>(64, cap)));
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
  const int32_t K = ans.K, A = ans.A;
  std::vector<int64_t> off;
  std::vector<int32_t> code;
  QuestionCsr(ans, &off, &code);
  std::vector<double> logc(static_cast<size_t>(ans.W) * A * K), logp(K);
  for (int32_t w = 0; w < ans.W; ++w) {
    for (int32_t k = 0; k < K; ++k) {
      for (int32_t a = 0; a < A; ++a) {
        logc[(static_cast<size_t>(w) * A + a) * K + k] = std::log(confusion[(static_cast<int64_t>(w) * K + k) * A + a]);
      }
    }
  }
  for (int32_t k = 0; k < K; ++k) logp[k] = std::log(prior[k]);
  std::vector<double> bll(kQuestionBlocks, 0), psum(static_cast<size_t>(kQuestionBlocks) * K, 0);
  threads = std::max(1, std::min(threads, kQuestionBlocks));
  std::atomic<int> next_block{0};
  auto work = [&](int) {
    std::vector<double> lp(K);
    for (int b; (b = next_block.fetch_add(1)) < kQuestionBlocks;) {
      const int32_t q0 = static_cast<int32_t>(BlockStart(ans.Q, b, kQuestionBlocks));
      const int32_t q1 = static_cast<int32_t>(BlockStart(ans.Q, b + 1, kQuestionBlocks));
      bll[b] = EStepRange(q0, q1, K, off.data(), code.data(), logp.data(), logc.data(), nullptr, posterior,
                          psum.data() + static_cast<size_t>(b) * K, nullptr, lp.data());
    }
  };
  if (threads == 1) {
    work(0);
  } else {
    RunTeam(threads, work);
  }
  double ll = 0;
  for (int b = 0; b < kQuestionBlocks; ++b) ll += bll[b];
  return ll;
}

}  // namespace agg
}  // namespace realabel
