// N-API bindings of the aggregation kernels (aggregate_core.cc). Every
// argument is checked here, before any kernel touches memory.
#include <napi.h>

#include <algorithm>
#include <atomic>
#include <cmath>
#include <exception>
#include <string>
#include <thread>
#include <vector>

#include "aggregate.h"
#include "args.h"
#include "parallel.h"
#include "registry.h"

namespace realabel {
namespace {


template <typename T>
Napi::TypedArrayOf<T> PropArray(Napi::Env env, const Napi::Object& obj, const char* key, const std::string& what) {
  Napi::Value v = obj.Get(key);
  if (!v.IsTypedArray() || v.As<Napi::TypedArray>().TypedArrayType() != TypedArrayTraits<T>::kind) {
    throw TypeErr(env, what + "." + key + ": expected a " + TypedArrayTraits<T>::name);
  }
  return v.As<Napi::TypedArrayOf<T>>();
}

int64_t PropInt(Napi::Env env, const Napi::Object& obj, const char* key, const std::string& what, int64_t lo, int64_t hi) {
  Napi::Value v = obj.Get(key);
  if (!v.IsNumber()) throw TypeErr(env, what + "." + key + ": expected a number");
  const double d = v.As<Napi::Number>().DoubleValue();
  if (!(d >= static_cast<double>(lo) && d <= static_cast<double>(hi)) || d != std::floor(d)) {
    throw RangeErr(env, what + "." + key + " = " + std::to_string(d) + " must be an integer in [" + std::to_string(lo) +
                            ", " + std::to_string(hi) + "]");
  }
  return static_cast<int64_t>(d);
}

double PropDouble(Napi::Env env, const Napi::Object& obj, const char* key, const std::string& what, double lo,
                  double dflt) {
  Napi::Value v = obj.Get(key);
  if (v.IsUndefined()) return dflt;
  if (!v.IsNumber()) throw TypeErr(env, what + "." + key + ": expected a number");
  const double d = v.As<Napi::Number>().DoubleValue();
  if (!std::isfinite(d) || d < lo) throw RangeErr(env, what + "." + key + " must be a finite number >= " + std::to_string(lo));
  return d;
}

int64_t Len(const Napi::TypedArray& a) { return static_cast<int64_t>(a.ElementLength()); }

Napi::Float64Array NewF64(Napi::Env env, size_t n) { return Napi::Float64Array::New(env, n); }

// Converts allocation / thread failures into JS errors instead of aborting.
template <typename F>
Napi::Value Guard(Napi::Env env, F&& fn) {
  try {
    return fn();
  } catch (const Napi::Error&) {
    throw;
  } catch (const ArgError& e) {
    throw RangeErr(env, e.what());
  } catch (const std::bad_alloc&) {
    throw RangeErr(env, "out of memory");
  } catch (const std::exception& e) {
    throw Napi::Error::New(env, std::string("aggregation failed: ") + e.what());
  }
}

// aggMajorityVote(question, answer, numQuestions, numAnswers, numClasses, votes[A*K]) -> Float64Array(Q*K)
Napi::Value MajorityVote(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  return Guard(env, [&]() -> Napi::Value {
    auto q = ArgArray<int32_t>(info, 0, "question");
    auto a = ArgArray<int32_t>(info, 1, "answer");
    agg::Answers ans{};
    ans.Q = static_cast<int32_t>(ArgInt(info, 2, "numQuestions", 0, INT32_MAX));
    ans.A = static_cast<int32_t>(ArgInt(info, 3, "numAnswers", 1, 1 << 16));
    ans.K = static_cast<int32_t>(ArgInt(info, 4, "numClasses", 1, 1 << 16));
    ans.W = 0;
    auto votes = ArgArray<double>(info, 5, "votes");
    agg::CheckSizes(ans.Q, 0, ans.A, ans.K);
    agg::CheckCount("votes", Len(votes), int64_t{ans.A} * ans.K, "numAnswers * numClasses");
    agg::CheckFinite("votes", votes.Data(), Len(votes), true);
    ans.q = q.Data();
    ans.a = a.Data();
    agg::CheckAnswers("answers", &ans, Len(q), -1, Len(a));
    Napi::Float64Array out = NewF64(env, static_cast<size_t>(ans.Q) * ans.K);
    agg::MajorityVote(ans, votes.Data(), out.Data());
    return out;
  });
}

struct EmJob {
  agg::Answers ans{};
  const double* init = nullptr;
  agg::EmOutput out{};
  Napi::Object result;
};

// aggEm(problems: [{question, worker, answer, numQuestions, numWorkers, init}],
//       {numAnswers, numClasses, method: 0 = DS | 1 = one-coin, match?, maxIter, tol, smoothing, threads})
// -> [{posterior, confusion, prior, skill, logLikelihood, objective, iterations, converged}]
Napi::Value Em(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  return Guard(env, [&]() -> Napi::Value {
    if (info.Length() < 2 || !info[0].IsArray() || !info[1].IsObject()) {
      throw TypeErr(env, "aggEm(problems, options): expected an array of problems and an options object");
    }
    Napi::Array problems = info[0].As<Napi::Array>();
    Napi::Object o = info[1].As<Napi::Object>();
    const int32_t A = static_cast<int32_t>(PropInt(env, o, "numAnswers", "options", 1, 1 << 16));
    const int32_t K = static_cast<int32_t>(PropInt(env, o, "numClasses", "options", 1, 1 << 16));
    agg::EmOptions opt;
    opt.method = static_cast<agg::Method>(PropInt(env, o, "method", "options", 0, 1));
    opt.max_iter = static_cast<int32_t>(PropInt(env, o, "maxIter", "options", 0, 100000000));
    opt.tol = PropDouble(env, o, "tol", "options", 0, 1e-7);
    opt.smoothing = PropDouble(env, o, "smoothing", "options", 0, 0);
    const int threads = ResolveThreads(static_cast<int>(PropInt(env, o, "threads", "options", 0, 1024)));
    Napi::Int32Array match;
    int64_t matchLen = 0;
    if (opt.method == agg::Method::kOneCoin && A >= 2) {
      match = PropArray<int32_t>(env, o, "match", "options");
      opt.match = match.Data();
      matchLen = Len(match);
    }
    agg::CheckEmOptions(opt, A, K, matchLen);
    const uint32_t P = problems.Length();
    std::vector<EmJob> jobs(P);
    Napi::Array results = Napi::Array::New(env, P);
    for (uint32_t p = 0; p < P; ++p) {
      const std::string what = "problems[" + std::to_string(p) + "]";
      Napi::Value pv = problems.Get(p);
      if (!pv.IsObject()) throw TypeErr(env, what + ": expected an object");
      Napi::Object po = pv.As<Napi::Object>();
      EmJob& job = jobs[p];
      job.ans.A = A;
      job.ans.K = K;
      job.ans.Q = static_cast<int32_t>(PropInt(env, po, "numQuestions", what, 0, INT32_MAX));
      job.ans.W = static_cast<int32_t>(PropInt(env, po, "numWorkers", what, 0, INT32_MAX));
      agg::CheckSizes(job.ans.Q, job.ans.W, A, K);
      auto q = PropArray<int32_t>(env, po, "question", what);
      auto w = PropArray<int32_t>(env, po, "worker", what);
      auto a = PropArray<int32_t>(env, po, "answer", what);
      job.ans.q = q.Data();
      job.ans.w = w.Data();
      job.ans.a = a.Data();
      agg::CheckAnswers(what, &job.ans, Len(q), Len(w), Len(a));
      auto init = PropArray<double>(env, po, "init", what);
      agg::CheckCount(what + ".init", Len(init), int64_t{job.ans.Q} * K, "numQuestions * numClasses");
      agg::CheckFinite(what + ".init", init.Data(), Len(init), true);
      job.init = init.Data();
      Napi::Float64Array post = NewF64(env, static_cast<size_t>(job.ans.Q) * K);
      Napi::Float64Array conf = NewF64(env, static_cast<size_t>(job.ans.W) * K * A);
      Napi::Float64Array prior = NewF64(env, K);
      Napi::Float64Array skill = NewF64(env, job.ans.W);
      job.out.posterior = post.Data();
      job.out.confusion = conf.Data();
      job.out.prior = prior.Data();
      job.out.skill = skill.Data();
      job.result = Napi::Object::New(env);
      job.result.Set("posterior", post);
      job.result.Set("confusion", conf);
      job.result.Set("prior", prior);
      if (opt.method == agg::Method::kOneCoin) job.result.Set("skill", skill);
      results.Set(p, job.result);
    }
    // Many problems: one thread each. Few: each problem uses every thread.
    // Either way a problem's arithmetic is the same, so outputs match.
    if (P >= static_cast<uint32_t>(threads) && threads > 1) {
      std::atomic<uint32_t> next{0};
      ParallelBlocks(threads, threads, threads, [&](int, int64_t, int64_t) {
        for (uint32_t p; (p = next.fetch_add(1)) < P;) agg::RunEm(jobs[p].ans, opt, jobs[p].init, 1, &jobs[p].out);
      });
    } else {
      for (auto& job : jobs) agg::RunEm(job.ans, opt, job.init, threads, &job.out);
    }
    for (auto& job : jobs) {
      const size_t it = job.out.log_likelihood.size();
      Napi::Float64Array ll = NewF64(env, it), obj = NewF64(env, it);
      std::copy(job.out.log_likelihood.begin(), job.out.log_likelihood.end(), ll.Data());
      std::copy(job.out.objective.begin(), job.out.objective.end(), obj.Data());
      job.result.Set("logLikelihood", ll);
      job.result.Set("objective", obj);
      job.result.Set("iterations", Napi::Number::New(env, job.out.iterations));
      job.result.Set("converged", Napi::Boolean::New(env, job.out.converged));
    }
    return results;
  });
}

// aggGoldConfusion(question, worker, answer, truth[Q], numWorkers, numAnswers, numClasses, smoothing)
// -> {confusion: Float64Array(W*K*A), counts: Float64Array(W)}
Napi::Value GoldConfusion(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  return Guard(env, [&]() -> Napi::Value {
    auto q = ArgArray<int32_t>(info, 0, "question");
    auto w = ArgArray<int32_t>(info, 1, "worker");
    auto a = ArgArray<int32_t>(info, 2, "answer");
    auto truth = ArgArray<int32_t>(info, 3, "truth");
    agg::Answers ans{};
    ans.Q = static_cast<int32_t>(truth.ElementLength());
    ans.W = static_cast<int32_t>(ArgInt(info, 4, "numWorkers", 0, INT32_MAX));
    ans.A = static_cast<int32_t>(ArgInt(info, 5, "numAnswers", 1, 1 << 16));
    ans.K = static_cast<int32_t>(ArgInt(info, 6, "numClasses", 1, 1 << 16));
    const double smoothing = ArgDouble(info, 7, "smoothing");
    agg::CheckSmoothing(smoothing);
    agg::CheckSizes(Len(truth), ans.W, ans.A, ans.K);
    agg::CheckTruth(truth.Data(), ans.Q, ans.K);
    ans.q = q.Data();
    ans.w = w.Data();
    ans.a = a.Data();
    agg::CheckAnswers("gold answers", &ans, Len(q), Len(w), Len(a));
    Napi::Float64Array conf = NewF64(env, static_cast<size_t>(ans.W) * ans.K * ans.A);
    Napi::Float64Array counts = NewF64(env, ans.W);
    agg::GoldConfusion(ans, truth.Data(), smoothing, conf.Data(), counts.Data());
    Napi::Object r = Napi::Object::New(env);
    r.Set("confusion", conf);
    r.Set("counts", counts);
    return r;
  });
}

// aggScore(question, worker, answer, numQuestions, prior[K], confusion[W*K*A], numWorkers, numAnswers, threads
//          [, blockStarts: Int32Array(B+1)]) -> {posterior: Float64Array(Q*K), logLikelihood[, blockLogLikelihood(B)]}
// blockStarts (0 = first < ... <= last = Q) fixes the question blocks whose
// log-likelihoods are returned one by one (the sharded EM, src/cluster).
Napi::Value Score(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  return Guard(env, [&]() -> Napi::Value {
    auto q = ArgArray<int32_t>(info, 0, "question");
    auto w = ArgArray<int32_t>(info, 1, "worker");
    auto a = ArgArray<int32_t>(info, 2, "answer");
    agg::Answers ans{};
    ans.Q = static_cast<int32_t>(ArgInt(info, 3, "numQuestions", 0, INT32_MAX));
    auto prior = ArgArray<double>(info, 4, "prior");
    auto conf = ArgArray<double>(info, 5, "confusion");
    ans.W = static_cast<int32_t>(ArgInt(info, 6, "numWorkers", 0, INT32_MAX));
    ans.A = static_cast<int32_t>(ArgInt(info, 7, "numAnswers", 1, 1 << 16));
    const int threads = ResolveThreads(static_cast<int>(ArgInt(info, 8, "threads", 0, 1024)));
    if (Len(prior) < 1) throw RangeErr(env, "prior: expected at least one class");
    agg::CheckSizes(ans.Q, ans.W, ans.A, Len(prior));
    ans.K = static_cast<int32_t>(Len(prior));
    agg::CheckCount("confusion", Len(conf), int64_t{ans.W} * ans.K * ans.A, "numWorkers * numClasses * numAnswers");
    agg::CheckFinite("prior", prior.Data(), Len(prior), true);
    agg::CheckFinite("confusion", conf.Data(), Len(conf), true);
    ans.q = q.Data();
    ans.w = w.Data();
    ans.a = a.Data();
    agg::CheckAnswers("answers", &ans, Len(q), Len(w), Len(a));
    Napi::Float64Array post = NewF64(env, static_cast<size_t>(ans.Q) * ans.K);
    Napi::Object r = Napi::Object::New(env);
    r.Set("posterior", post);
    if (info.Length() > 9 && !info[9].IsUndefined()) {
      auto starts = ArgArray<int32_t>(info, 9, "blockStarts");
      const int64_t nb = Len(starts) - 1;
      if (nb < 1 || starts.Data()[0] != 0 || starts.Data()[nb] != ans.Q) throw RangeErr(env, "blockStarts: expected 0, ..., numQuestions");
      for (int64_t b = 0; b < nb; ++b) {
        if (starts.Data()[b + 1] < starts.Data()[b]) throw RangeErr(env, "blockStarts: must not decrease");
      }
      Napi::Float64Array bll = NewF64(env, static_cast<size_t>(nb));
      agg::ScorePassBlocks(ans, prior.Data(), conf.Data(), threads, post.Data(), starts.Data(), static_cast<int32_t>(nb), bll.Data());
      double ll = 0;
      for (int64_t b = 0; b < nb; ++b) ll += bll.Data()[b];
      r.Set("logLikelihood", Napi::Number::New(env, ll));
      r.Set("blockLogLikelihood", bll);
      return r;
    }
    const double ll = agg::ScorePass(ans, prior.Data(), conf.Data(), threads, post.Data());
    r.Set("logLikelihood", Napi::Number::New(env, ll));
    return r;
  });
}

REALABEL_EXPORT("aggMajorityVote", MajorityVote);
REALABEL_EXPORT("aggEm", Em);
REALABEL_EXPORT("aggGoldConfusion", GoldConfusion);
REALABEL_EXPORT("aggScore", Score);

}  // namespace
}  // namespace realabel
