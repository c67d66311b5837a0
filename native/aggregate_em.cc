// Dawid-Skene and one-coin EM (aggregate_core.h): one problem on a team of
// threads that meet at barriers between the M-step and the E-step. The loops
// are mirrored one to one by src/aggregate/em-ts.ts: change both.
#include <algorithm>
#include <atomic>
#include <cmath>
#include <vector>

#include "aggregate_core.h"
#include "aggregate_estep.h"
#include "parallel.h"

namespace realabel {
namespace aggregate {

namespace {

using namespace estep;

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
    // Each thread needs width + K doubles of scratch: use fewer threads
    // rather than more memory than kScratchBudget (never changes the result).
    const int64_t per = width_ + K_;
    threads = static_cast<int>(std::max<int64_t>(1, std::min<int64_t>(threads, kScratchBudget / per)));
    scratch_.assign(static_cast<size_t>(threads) * per, 0);
    if (threads == 1) {
      for (int b = 0; b < qblocks_; ++b) CountBlock(b);
      if (opt_.max_iter > 0) {
        for (;;) {
          CheckAbort();
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
    bool aborted = false;
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
          // The team stops together: one thread leaving a barrier early would strand the others.
          aborted = AbortRequested();
          stop = aborted || EStepFinish();
          next_block.store(0);
        });
      }
    });
    if (aborted) throw Aborted{};
    Emit();
  }

 private:
  static constexpr int kWorkerBlocks = 64;
  static constexpr int64_t kScratchBudget = int64_t{1} << 24;  // doubles of per-thread scratch in all

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
    if (EmConverged(opt_, out_->objective, change, ans_.n)) out_->converged = true;
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

void RunEm(const Answers& ans, const EmOptions& opt, const double* init, int threads, EmOutput* out) {
  EmSolver solver(ans, opt, init, out);
  solver.Run(threads);
}

}  // namespace aggregate
}  // namespace realabel
