// realabel_cuda.node: the GPU kernels behind the CPU addon's JS contract
// (src/native/addon.ts), so src/native/cuda.ts can put them in front of it
// (docs/gpu.md). The same export pattern as the CPU addon (registry.h): each
// kernel is a Job, exported as `name(...)` and `nameAsync(..., abort)`, with
// coded errors; arguments are checked by the CPU cores' own checks.
//   cudaDeviceCount() -> number (0 without a driver or device)
//   cudaDeviceName() -> string
//   topkSelect, topkStreamCreate / Push / Finish / Stats: as native/topk.cc
//   poolPairs: as native/pool.cc
//   aggEm: Dawid–Skene with <= 32 classes on the GPU, anything else on the CPU engine
#include <napi.h>

#include <atomic>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "../aggregate_core.h"
#include "../args.h"
#include "../parallel.h"
#include "../pool_core.h"
#include "../registry.h"
#include "../topk_core.h"
#include "device.h"
#include "em_cuda.h"
#include "pool_cuda.h"
#include "topk_cuda.h"

namespace realabel {

std::vector<ExportEntry>& Registry() {
  static std::vector<ExportEntry> entries;
  return entries;
}

namespace {

using cuda::TopkGpu;

Napi::Value DeviceCount(const Napi::CallbackInfo& info) { return Napi::Number::New(info.Env(), cuda::DeviceCount()); }
Napi::Value DeviceName(const Napi::CallbackInfo& info) { return Napi::String::New(info.Env(), cuda::DeviceName()); }

// ---- top-K ----------------------------------------------------------------

void PushMatrix(TopkGpu* s, const FloatView& m, int64_t nRows) {
  if (m.f32) s->Push(m.f32, nRows);
  else s->Push(m.f64, nRows);
}

struct Best {
  std::vector<int32_t> image, label;
  std::vector<float> value;

  void Take(TopkGpu* s, int64_t c) {
    const std::vector<topk::Cand>& best = s->Finish();
    const size_t k = best.size();
    image.resize(k);
    label.resize(k);
    value.resize(k);
    for (size_t i = 0; i < k; ++i) {
      image[i] = static_cast<int32_t>(best[i].idx / c);
      label[i] = static_cast<int32_t>(best[i].idx % c);
    }
    s->Values(best, value.data());
  }

  Napi::Value ToJs(Napi::Env env) const {
    Napi::Object out = Napi::Object::New(env);
    out.Set("image", NewArray(env, image));
    out.Set("label", NewArray(env, label));
    out.Set("value", NewArray(env, value));
    return out;
  }
};

class TopkSelectJob {
 public:
  explicit TopkSelectJob(Args& args) {
    m_ = args.Floats(0, "data");
    n_ = args.Int(1, "n");
    c_ = args.Int(2, "c");
    k_ = args.Int(3, "k");
    crit_ = args.Int(4, "criterion");
    args.Threads(5);  // same signature as the CPU addon; the GPU ignores it
    topk::CheckSelect(m_.length, n_, c_, k_, crit_);
  }
  void Run() {
    TopkGpu s(c_, k_, static_cast<topk::Criterion>(crit_));
    PushMatrix(&s, m_, n_);
    best_.Take(&s, c_);
  }
  Napi::Value Result(Napi::Env env) { return best_.ToJs(env); }

 private:
  FloatView m_;
  int64_t n_ = 0, c_ = 0, k_ = 0, crit_ = 0;
  Best best_;
};

const napi_type_tag kStreamTag = {0x3c0ffee5a11d4e7bULL, 0x8d2e6f1a9b4c7d30ULL};

struct Stream {
  std::unique_ptr<TopkGpu> selector;
  int64_t c;
  bool failed = false, finished = false, busy = false;
  int64_t sampled = 0, fallbacks = 0;  // kept after finish
};

Stream* ArgHandle(Args& args) {
  Napi::Value v = args.At(0);
  if (!v.IsExternal() || !v.As<Napi::External<Stream>>().CheckTypeTag(&kStreamTag)) {
    throw TypeErr(args.Env(), "handle: expected a top-K stream");
  }
  return v.As<Napi::External<Stream>>().Data();
}

// An open, idle stream, marked busy until the job is destroyed.
class StreamLease {
 public:
  explicit StreamLease(Args& args) : st_(ArgHandle(args)) {
    if (st_->failed) throw StateError("this top-K stream already failed");
    if (st_->finished) throw StateError("this top-K stream is finished");
    if (st_->busy) throw StateError("this top-K stream is busy with another push or finish");
    st_->busy = true;
  }
  ~StreamLease() { st_->busy = false; }
  StreamLease(const StreamLease&) = delete;
  StreamLease& operator=(const StreamLease&) = delete;
  Stream* get() const { return st_; }

 private:
  Stream* st_;
};

Napi::Value TopkStreamCreate(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  return Translated(env, [&]() -> Napi::Value {
    Args args(info, info.Length(), false);
    const int64_t c = args.Int(0, "c");
    const int64_t k = args.Int(1, "k");
    const int64_t crit = args.Int(2, "criterion");
    args.Threads(3);
    topk::CheckStream(c, k, crit);
    auto st = std::make_unique<Stream>();
    st->selector = std::make_unique<TopkGpu>(c, k, static_cast<topk::Criterion>(crit));
    st->c = c;
    auto ext = Napi::External<Stream>::New(env, st.release(), [](Napi::Env, Stream* p) { delete p; });
    ext.TypeTag(&kStreamTag);
    return ext;
  });
}

class TopkStreamPushJob {
 public:
  explicit TopkStreamPushJob(Args& args) : lease_(args) {
    m_ = args.Floats(1, "rows");
    n_rows_ = args.Int(2, "nRows");
    topk::CheckPush(lease_.get()->selector->rows_seen(), lease_.get()->c, n_rows_, m_.length);
  }
  void Run() {
    try {
      PushMatrix(lease_.get()->selector.get(), m_, n_rows_);
    } catch (...) {
      lease_.get()->failed = true;  // a failed push leaves the selector part-way
      throw;
    }
  }
  Napi::Value Result(Napi::Env env) { return env.Undefined(); }

 private:
  StreamLease lease_;
  FloatView m_;
  int64_t n_rows_ = 0;
};

class TopkStreamFinishJob {
 public:
  explicit TopkStreamFinishJob(Args& args) : lease_(args) {}
  void Run() {
    Stream* st = lease_.get();
    st->finished = true;
    best_.Take(st->selector.get(), st->c);
    st->sampled = st->selector->sampled();
    st->fallbacks = st->selector->fallbacks();
    st->selector.reset();
  }
  Napi::Value Result(Napi::Env env) { return best_.ToJs(env); }

 private:
  StreamLease lease_;
  Best best_;
};

// {sampled, fallbacks}: pushes that used a sampled threshold, and those redone.
Napi::Value TopkStreamStats(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  return Translated(env, [&]() -> Napi::Value {
    Args args(info, info.Length(), false);
    Stream* st = ArgHandle(args);
    const bool open = st->selector != nullptr;
    Napi::Object out = Napi::Object::New(env);
    out.Set("sampled", static_cast<double>(open ? st->selector->sampled() : st->sampled));
    out.Set("fallbacks", static_cast<double>(open ? st->selector->fallbacks() : st->fallbacks));
    return out;
  });
}

// ---- pooling --------------------------------------------------------------

class PoolPairsJob {
 public:
  explicit PoolPairsJob(Args& args) {
    in_.n = args.Int(0, "n");
    in_.c = args.Int(1, "c");
    in_.models = args.Int(2, "models");
    const auto srcImage = args.Array<int32_t>(3, "srcImage");
    const auto srcLabel = args.Array<int32_t>(4, "srcLabel");
    const auto srcOffsets = args.Array<int32_t>(5, "srcOffsets");
    const auto srcModel = args.Array<int32_t>(6, "srcModel");
    const auto forced = args.Array<int32_t>(7, "forced");
    in_.minVotes = args.Int(8, "minVotes");
    in_.srcImage = srcImage.data;
    in_.srcImageLen = srcImage.length;
    in_.srcLabel = srcLabel.data;
    in_.srcLabelLen = srcLabel.length;
    in_.srcOffsets = srcOffsets.data;
    in_.srcOffsetsLen = srcOffsets.length;
    in_.srcModel = srcModel.data;
    in_.sources = srcModel.length;
    in_.forced = forced.data;
    in_.forcedLen = forced.length;
    pool::Check(in_);
  }
  void Run() {
    cuda::PoolGpu pooler(in_);
    const size_t P = pooler.pairs();
    planes_ = pooler.planes();
    words_ = pooler.words();
    image_.resize(P);
    label_.resize(P);
    votes_.resize(P);
    masks_.resize(P * static_cast<size_t>(words_) * static_cast<size_t>(planes_));
    pooler.Fill(image_.data(), label_.data(), votes_.data(), masks_.data());
  }
  Napi::Value Result(Napi::Env env) {
    Napi::Object out = Napi::Object::New(env);
    out.Set("image", NewArray(env, image_));
    out.Set("label", NewArray(env, label_));
    out.Set("votes", NewArray(env, votes_));
    out.Set("masks", NewArray(env, masks_));
    out.Set("planes", Napi::Number::New(env, planes_));
    out.Set("words", Napi::Number::New(env, static_cast<double>(words_)));
    return out;
  }

 private:
  pool::Input in_;
  int planes_ = 1;
  int64_t words_ = 1;
  std::vector<int32_t> image_, label_, votes_;
  std::vector<uint32_t> masks_;
};

// ---- EM -------------------------------------------------------------------

struct EmProblem {
  aggregate::Answers ans{};
  const double* init = nullptr;
  std::vector<double> posterior, confusion, prior, skill;
  aggregate::EmOutput out{};
};

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
    jobs_.resize(problems.Length());
    for (uint32_t p = 0; p < problems.Length(); ++p) Problem(args, problems, p, &jobs_[p]);
  }

  void Run() {
    for (EmProblem& job : jobs_) {
      CheckAbort();
      job.posterior.resize(static_cast<size_t>(job.ans.Q) * K_);
      job.confusion.resize(static_cast<size_t>(job.ans.W) * K_ * A_);
      job.prior.resize(K_);
      job.skill.resize(job.ans.W);
      job.out.posterior = job.posterior.data();
      job.out.confusion = job.confusion.data();
      job.out.prior = job.prior.data();
      job.out.skill = job.skill.data();
      if (cuda::EmOnGpu(opt_, K_)) {
        cuda::RunEmGpu(job.ans, opt_, job.init, &job.out);
      } else {
        aggregate::RunEm(job.ans, opt_, job.init, threads_, &job.out);
      }
    }
  }

  Napi::Value Result(Napi::Env env) {
    Napi::Array results = Napi::Array::New(env, jobs_.size());
    for (size_t p = 0; p < jobs_.size(); ++p) {
      const EmProblem& job = jobs_[p];
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
  void Problem(Args& args, Napi::Array problems, uint32_t p, EmProblem* job) {
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
  std::vector<EmProblem> jobs_;
};

}  // namespace
}  // namespace realabel

using realabel::EmBatchJob;
using realabel::PoolPairsJob;
using realabel::TopkSelectJob;
using realabel::TopkStreamFinishJob;
using realabel::TopkStreamPushJob;
using realabel::DeviceCount;
using realabel::DeviceName;
using realabel::TopkStreamCreate;
using realabel::TopkStreamStats;
REALABEL_EXPORT("cudaDeviceCount", DeviceCount);
REALABEL_EXPORT("cudaDeviceName", DeviceName);
REALABEL_KERNEL("topkSelect", TopkSelectJob);
REALABEL_EXPORT("topkStreamCreate", TopkStreamCreate);
REALABEL_KERNEL("topkStreamPush", TopkStreamPushJob);
REALABEL_KERNEL("topkStreamFinish", TopkStreamFinishJob);
REALABEL_EXPORT("topkStreamStats", TopkStreamStats);
REALABEL_KERNEL("poolPairs", PoolPairsJob);
REALABEL_KERNEL("aggEm", EmBatchJob);

static Napi::Object Init(Napi::Env env, Napi::Object exports) {
  for (const auto& e : realabel::Registry()) exports.Set(e.name, Napi::Function::New(env, e.fn, e.name));
  return exports;
}

NODE_API_MODULE(realabel_cuda, Init)
