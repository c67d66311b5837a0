// N-API bindings of the aggregation kernels (aggregate_core.h). Every
// argument is checked in the job's constructor, before any kernel touches
// memory; each kernel also has an ...Async form (registry.h).
#include <napi.h>

#include <algorithm>
#include <atomic>
#include <string>
#include <vector>

#include "aggregate_core.h"
#include "args.h"
#include "parallel.h"
#include "registry.h"

namespace realabel {
namespace {

// aggMajorityVote(question, answer, numQuestions, numAnswers, numClasses, votes[A*K]) -> Float64Array(Q*K)
class MajorityVoteJob {
 public:
  explicit MajorityVoteJob(Args& args) {
    const auto q = args.Array<int32_t>(0, "question");
    const auto a = args.Array<int32_t>(1, "answer");
    ans_.Q = static_cast<int32_t>(args.Int(2, "numQuestions", 0, INT32_MAX));
    ans_.A = static_cast<int32_t>(args.Int(3, "numAnswers", 1, 1 << 16));
    ans_.K = static_cast<int32_t>(args.Int(4, "numClasses", 1, 1 << 16));
    ans_.W = 0;
    const auto votes = args.Array<double>(5, "votes");
    aggregate::CheckSizes(ans_.Q, 0, ans_.A, ans_.K);
    aggregate::CheckCount("votes", votes.length, int64_t{ans_.A} * ans_.K, "numAnswers * numClasses");
    aggregate::CheckFinite("votes", votes.data, votes.length, true);
    ans_.q = q.data;
    ans_.a = a.data;
    aggregate::CheckAnswers("answers", &ans_, q.length, -1, a.length);
    // The output is Q*K: bounded by the answers given, not only by the claimed Q.
    aggregate::CheckOutput("numQuestions * numClasses", int64_t{ans_.Q} * ans_.K, 2 * ans_.n + votes.length);
    votes_ = votes.data;
  }
  void Run() {
    out_.resize(static_cast<size_t>(ans_.Q) * ans_.K);
    aggregate::MajorityVote(ans_, votes_, out_.data());
  }
  Napi::Value Result(Napi::Env env) { return NewArray(env, out_); }

 private:
  aggregate::Answers ans_{};
  const double* votes_ = nullptr;
  std::vector<double> out_;
};
REALABEL_KERNEL("aggMajorityVote", MajorityVoteJob);

// One EM problem: its answers, start and C++-owned outputs.
struct EmJob {
  aggregate::Answers ans{};
  const double* init = nullptr;
  std::vector<double> posterior, confusion, prior, skill;
  aggregate::EmOutput out{};
};

// aggEm(problems: [{question, worker, answer, numQuestions, numWorkers, init}],
//       {numAnswers, numClasses, method: 0 = DS | 1 = one-coin, match?, maxIter,
//        stopRule?: 0 = log-likelihood gain per answer (default) | 1 = largest posterior change, tol, smoothing, threads})
// -> [{posterior, confusion, prior, skill, logLikelihood, objective, iterations, converged}]
class EmBatchJob {
 public:
  explicit EmBatchJob(Args& args) {
    Napi::Env env = args.Env();
    if (args.Length() < 2 || !args.At(0).IsArray() || !args.At(1).IsObject()) {
      throw TypeErr(env, "aggEm(problems, options): expected an array of problems and an options object");
    }
    Napi::Array problems = args.At(0).As<Napi::Array>();
    Napi::Object o = args.At(1).As<Napi::Object>();
    A_ = static_cast<int32_t>(args.PropInt(o, "numAnswers", "options", 1, 1 << 16));
    K_ = static_cast<int32_t>(args.PropInt(o, "numClasses", "options", 1, 1 << 16));
    opt_.method = static_cast<aggregate::Method>(args.PropInt(o, "method", "options", 0, 1));
    opt_.max_iter = static_cast<int32_t>(args.PropInt(o, "maxIter", "options", 0, 100000000));
    if (!o.Get("stopRule").IsUndefined()) opt_.stop = static_cast<aggregate::StopRule>(args.PropInt(o, "stopRule", "options", 0, 1));
    opt_.tol = args.PropDouble(o, "tol", "options", 0, 1e-5);
    opt_.smoothing = args.PropDouble(o, "smoothing", "options", 0, 0);
    threads_ = ResolveThreads(static_cast<int>(args.PropInt(o, "threads", "options", 0, 1024)));
    int64_t matchLen = 0;
    if (opt_.method == aggregate::Method::kOneCoin && A_ >= 2) {
      const auto match = args.Prop<int32_t>(o, "match", "options");
      opt_.match = match.data;
      matchLen = match.length;
    }
    aggregate::CheckEmOptions(opt_, A_, K_, matchLen);
    const uint32_t P = problems.Length();
    jobs_.resize(P);
    for (uint32_t p = 0; p < P; ++p) Problem(args, problems, p, &jobs_[p]);
  }

  void Run() {
    for (EmJob& job : jobs_) {
      job.posterior.resize(static_cast<size_t>(job.ans.Q) * K_);
      job.confusion.resize(static_cast<size_t>(job.ans.W) * K_ * A_);
      job.prior.resize(K_);
      job.skill.resize(job.ans.W);
      job.out.posterior = job.posterior.data();
      job.out.confusion = job.confusion.data();
      job.out.prior = job.prior.data();
      job.out.skill = job.skill.data();
    }
    // Many problems: one thread each. Few: each problem uses every thread.
    // Either way a problem's arithmetic is the same, so outputs match.
    const uint32_t P = static_cast<uint32_t>(jobs_.size());
    if (P >= static_cast<uint32_t>(threads_) && threads_ > 1) {
      std::atomic<uint32_t> next{0};
      ParallelBlocks(threads_, threads_, threads_, [&](int, int64_t, int64_t) {
        for (uint32_t p; (p = next.fetch_add(1)) < P;) {
          CheckAbort();
          aggregate::RunEm(jobs_[p].ans, opt_, jobs_[p].init, 1, &jobs_[p].out);
        }
      });
    } else {
      for (EmJob& job : jobs_) aggregate::RunEm(job.ans, opt_, job.init, threads_, &job.out);
    }
  }

  Napi::Value Result(Napi::Env env) {
    Napi::Array results = Napi::Array::New(env, jobs_.size());
    for (size_t p = 0; p < jobs_.size(); ++p) {
      const EmJob& job = jobs_[p];
      Napi::Object r = Napi::Object::New(env);
      r.Set("posterior", NewArray(env, job.posterior));
      r.Set("confusion", NewArray(env, job.confusion));
      r.Set("prior", NewArray(env, job.prior));
      if (opt_.method == aggregate::Method::kOneCoin) r.Set("skill", NewArray(env, job.skill));
      r.Set("logLikelihood", NewArray(env, job.out.log_likelihood));
      r.Set("objective", NewArray(env, job.out.objective));
      r.Set("iterations", Napi::Number::New(env, job.out.iterations));
      r.Set("converged", Napi::Boolean::New(env, job.out.converged));
      results.Set(static_cast<uint32_t>(p), r);
    }
    return results;
  }

 private:
  void Problem(Args& args, Napi::Array problems, uint32_t p, EmJob* job) {
    const std::string what = "problems[" + std::to_string(p) + "]";
    Napi::Value pv = problems.Get(p);
    if (!pv.IsObject()) throw TypeErr(args.Env(), what + ": expected an object");
    Napi::Object po = pv.As<Napi::Object>();
    args.Keep(po);
    job->ans.A = A_;
    job->ans.K = K_;
    job->ans.Q = static_cast<int32_t>(args.PropInt(po, "numQuestions", what, 0, INT32_MAX));
    job->ans.W = static_cast<int32_t>(args.PropInt(po, "numWorkers", what, 0, INT32_MAX));
    aggregate::CheckSizes(job->ans.Q, job->ans.W, A_, K_);
    const auto q = args.Prop<int32_t>(po, "question", what);
    const auto w = args.Prop<int32_t>(po, "worker", what);
    const auto a = args.Prop<int32_t>(po, "answer", what);
    job->ans.q = q.data;
    job->ans.w = w.data;
    job->ans.a = a.data;
    aggregate::CheckAnswers(what, &job->ans, q.length, w.length, a.length);
    const auto init = args.Prop<double>(po, "init", what);
    aggregate::CheckCount(what + ".init", init.length, int64_t{job->ans.Q} * K_, "numQuestions * numClasses");
    aggregate::CheckFinite(what + ".init", init.data, init.length, true);
    aggregate::CheckEmWork(what, job->ans, opt_, init.length);
    job->init = init.data;
  }

  int32_t A_ = 1, K_ = 1;
  aggregate::EmOptions opt_;
  int threads_ = 1;
  std::vector<EmJob> jobs_;
};
REALABEL_KERNEL("aggEm", EmBatchJob);

// aggGoldConfusion(question, worker, answer, truth[Q], numWorkers, numAnswers, numClasses, smoothing)
// -> {confusion: Float64Array(W*K*A), counts: Float64Array(W)}
class GoldConfusionJob {
 public:
  explicit GoldConfusionJob(Args& args) {
    const auto q = args.Array<int32_t>(0, "question");
    const auto w = args.Array<int32_t>(1, "worker");
    const auto a = args.Array<int32_t>(2, "answer");
    const auto truth = args.Array<int32_t>(3, "truth");
    ans_.Q = static_cast<int32_t>(truth.length);
    ans_.W = static_cast<int32_t>(args.Int(4, "numWorkers", 0, INT32_MAX));
    ans_.A = static_cast<int32_t>(args.Int(5, "numAnswers", 1, 1 << 16));
    ans_.K = static_cast<int32_t>(args.Int(6, "numClasses", 1, 1 << 16));
    smoothing_ = args.Double(7, "smoothing");
    aggregate::CheckSmoothing(smoothing_);
    aggregate::CheckSizes(truth.length, ans_.W, ans_.A, ans_.K);
    aggregate::CheckTruth(truth.data, ans_.Q, ans_.K);
    ans_.q = q.data;
    ans_.w = w.data;
    ans_.a = a.data;
    aggregate::CheckAnswers("gold answers", &ans_, q.length, w.length, a.length);
    const int64_t given = 3 * ans_.n + truth.length;
    aggregate::CheckOutput("numWorkers * numClasses * numAnswers", int64_t{ans_.W} * ans_.K * ans_.A, given);
    aggregate::CheckOutput("numClasses * numAnswers", int64_t{ans_.K} * ans_.A, given);
    truth_ = truth.data;
  }
  void Run() {
    confusion_.resize(static_cast<size_t>(ans_.W) * ans_.K * ans_.A);
    counts_.resize(ans_.W);
    aggregate::GoldConfusion(ans_, truth_, smoothing_, confusion_.data(), counts_.data());
  }
  Napi::Value Result(Napi::Env env) {
    Napi::Object r = Napi::Object::New(env);
    r.Set("confusion", NewArray(env, confusion_));
    r.Set("counts", NewArray(env, counts_));
    return r;
  }

 private:
  aggregate::Answers ans_{};
  const int32_t* truth_ = nullptr;
  double smoothing_ = 0;
  std::vector<double> confusion_, counts_;
};
REALABEL_KERNEL("aggGoldConfusion", GoldConfusionJob);

// aggScore(question, worker, answer, numQuestions, prior[K], confusion[W*K*A], numWorkers, numAnswers, threads
//          [, blockStarts: Int32Array(B+1)]) -> {posterior: Float64Array(Q*K), logLikelihood[, blockLogLikelihood(B)]}
// blockStarts (0 = first <= ... <= last = Q) fixes the question blocks whose
// log-likelihoods are returned one by one (the sharded EM, src/cluster).
class ScoreJob {
 public:
  explicit ScoreJob(Args& args) {
    const auto q = args.Array<int32_t>(0, "question");
    const auto w = args.Array<int32_t>(1, "worker");
    const auto a = args.Array<int32_t>(2, "answer");
    ans_.Q = static_cast<int32_t>(args.Int(3, "numQuestions", 0, INT32_MAX));
    const auto prior = args.Array<double>(4, "prior");
    const auto conf = args.Array<double>(5, "confusion");
    ans_.W = static_cast<int32_t>(args.Int(6, "numWorkers", 0, INT32_MAX));
    ans_.A = static_cast<int32_t>(args.Int(7, "numAnswers", 1, 1 << 16));
    threads_ = ResolveThreads(args.Threads(8));
    if (prior.length < 1) throw RangeErr(args.Env(), "prior: expected at least one class");
    aggregate::CheckSizes(ans_.Q, ans_.W, ans_.A, prior.length);
    ans_.K = static_cast<int32_t>(prior.length);
    aggregate::CheckCount("confusion", conf.length, int64_t{ans_.W} * ans_.K * ans_.A,
                          "numWorkers * numClasses * numAnswers");
    aggregate::CheckFinite("prior", prior.data, prior.length, true);
    aggregate::CheckFinite("confusion", conf.data, conf.length, true);
    ans_.q = q.data;
    ans_.w = w.data;
    ans_.a = a.data;
    aggregate::CheckAnswers("answers", &ans_, q.length, w.length, a.length);
    aggregate::CheckOutput("numQuestions * numClasses", int64_t{ans_.Q} * ans_.K,
                           3 * ans_.n + prior.length + conf.length);
    prior_ = prior.data;
    confusion_ = conf.data;
    if (!args.At(9).IsUndefined()) {
      starts_ = args.Array<int32_t>(9, "blockStarts");
      aggregate::CheckBlockStarts(starts_.data, starts_.length, ans_.Q);
    }
  }
  void Run() {
    posterior_.resize(static_cast<size_t>(ans_.Q) * ans_.K);
    if (!starts_.data) {
      ll_ = aggregate::ScorePass(ans_, prior_, confusion_, threads_, posterior_.data());
      return;
    }
    block_ll_.resize(static_cast<size_t>(starts_.length - 1));
    aggregate::ScorePassBlocks(ans_, prior_, confusion_, threads_, posterior_.data(), starts_.data,
                               static_cast<int32_t>(block_ll_.size()), block_ll_.data());
    ll_ = 0;
    for (double b : block_ll_) ll_ += b;
  }
  Napi::Value Result(Napi::Env env) {
    Napi::Object r = Napi::Object::New(env);
    r.Set("posterior", NewArray(env, posterior_));
    r.Set("logLikelihood", Napi::Number::New(env, ll_));
    if (starts_.data) r.Set("blockLogLikelihood", NewArray(env, block_ll_));
    return r;
  }

 private:
  aggregate::Answers ans_{};
  const double *prior_ = nullptr, *confusion_ = nullptr;
  int threads_ = 1;
  View<int32_t> starts_;
  std::vector<double> posterior_, block_ll_;
  double ll_ = 0;
};
REALABEL_KERNEL("aggScore", ScoreJob);

}  // namespace
}  // namespace realabel
