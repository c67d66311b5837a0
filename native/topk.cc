// JS bindings of the exact top-K selection (topk_core.h):
//   topkSelect(data, n, c, k, criterion, threads[, isa]) -> {image, label, value}
//   topkStreamCreate(c, k, criterion, threads[, isa[, expectedRows]]) -> handle
//   topkStreamPush(handle, rows, nRows);  topkStreamFinish(handle) -> {image, label, value}
//   topkStreamStats(handle) -> {sampled, fallbacks, unproven}
//     sampled/fallbacks after finish (tests); unproven before it: the
//     expectedRows estimate was never proven, so the rows must be pushed
//     again into a stream without it (Selector's constructor)
//   sumF32(data, threads[, isa]) -> number     (the benchmark's read pass)
//   topkIsa() -> best SIMD variant (1 scalar, 2 AVX2, 3 AVX-512)
// topkSelect, topkStreamPush and topkStreamFinish also have ...Async forms
// (registry.h). criterion: 0 = logit, 1 = prob. isa caps the SIMD variant
// (tests use it).
#include <napi.h>

#include <cstdint>
#include <memory>
#include <vector>

#include "args.h"
#include "parallel.h"
#include "registry.h"
#include "topk_core.h"

namespace realabel {
namespace {

using topk::Selector;

const napi_type_tag kStreamTag = {0x7a1c5e0f3b2d4e61ULL, 0x9f8e7d6c5b4a3921ULL};

struct Stream {
  std::unique_ptr<Selector> selector;
  int64_t c;
  bool failed = false;
  bool finished = false;
  bool busy = false;  // an async push or finish is running
  int64_t sampled_chunks = 0, fallbacks = 0;  // kept after finish
};

int ArgIsa(Args& args, size_t i) {
  if (args.At(i).IsUndefined()) return 0;
  return static_cast<int>(args.Int(i, "isa", 0, 3));
}

void PushMatrix(Selector* s, const FloatView& m, int64_t nRows, bool last) {
  if (m.f32) {
    s->Push(m.f32, nRows, last);
  } else {
    s->Push(m.f64, nRows, last);
  }
}

// The K best as flat indices and reported values, made off the JS thread.
struct Best {
  std::vector<int32_t> image, label;
  std::vector<float> value;

  void Take(Selector* s, int64_t c) {
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
    threads_ = args.Threads(5);
    isa_ = topk_rows::ResolveIsa(ArgIsa(args, 6));
    topk::CheckSelect(m_.length, n_, c_, k_, crit_);
  }
  void Run() {
    Selector s(c_, k_, static_cast<topk::Criterion>(crit_), threads_, isa_);
    PushMatrix(&s, m_, n_, true);
    best_.Take(&s, c_);
  }
  Napi::Value Result(Napi::Env env) { return best_.ToJs(env); }

 private:
  FloatView m_;
  int64_t n_ = 0, c_ = 0, k_ = 0, crit_ = 0;
  int threads_ = 0;
  topk_rows::Isa isa_{};
  Best best_;
};
REALABEL_KERNEL("topkSelect", TopkSelectJob);

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
    const int threads = args.Threads(3);
    const auto isa = topk_rows::ResolveIsa(ArgIsa(args, 4));
    const int64_t expected = args.At(5).IsUndefined() ? 0 : args.Int(5, "expectedRows", 0, topk::kMaxDim);
    topk::CheckStream(c, k, crit);
    auto* st = new Stream{std::make_unique<Selector>(c, k, static_cast<topk::Criterion>(crit), threads, isa, expected), c};
    auto ext = Napi::External<Stream>::New(env, st, [](Napi::Env, Stream* p) { delete p; });
    ext.TypeTag(&kStreamTag);
    return ext;
  });
}
REALABEL_EXPORT("topkStreamCreate", TopkStreamCreate);

class TopkStreamPushJob {
 public:
  explicit TopkStreamPushJob(Args& args) : lease_(args) {
    m_ = args.Floats(1, "rows");
    n_rows_ = args.Int(2, "nRows");
    Stream* st = lease_.get();
    topk::CheckPush(st->selector->rows_seen(), st->c, n_rows_, m_.length);
  }
  void Run() {
    Stream* st = lease_.get();
    try {
      PushMatrix(st->selector.get(), m_, n_rows_, false);
    } catch (...) {
      // An aborted or failed push leaves the selector part-way: the stream is done.
      st->failed = true;
      throw;
    }
  }
  Napi::Value Result(Napi::Env env) { return env.Undefined(); }

 private:
  StreamLease lease_;
  FloatView m_;
  int64_t n_rows_ = 0;
};
REALABEL_KERNEL("topkStreamPush", TopkStreamPushJob);

class TopkStreamFinishJob {
 public:
  explicit TopkStreamFinishJob(Args& args) : lease_(args) {}
  void Run() {
    Stream* st = lease_.get();
    st->finished = true;
    best_.Take(st->selector.get(), st->c);
    st->sampled_chunks = st->selector->sampled_chunks();
    st->fallbacks = st->selector->fallbacks();
    st->selector.reset();
  }
  Napi::Value Result(Napi::Env env) { return best_.ToJs(env); }

 private:
  StreamLease lease_;
  Best best_;
};
REALABEL_KERNEL("topkStreamFinish", TopkStreamFinishJob);

// {sampled, fallbacks} of a finished stream (tests check which paths ran).
Napi::Value TopkStreamStats(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  return Translated(env, [&]() -> Napi::Value {
    Args args(info, info.Length(), false);
    Stream* st = ArgHandle(args);
    Napi::Object out = Napi::Object::New(env);
    out.Set("sampled", Napi::Number::New(env, static_cast<double>(st->sampled_chunks)));
    out.Set("fallbacks", Napi::Number::New(env, static_cast<double>(st->fallbacks)));
    out.Set("unproven", Napi::Boolean::New(env, st->selector && !st->busy && st->selector->Unproven()));
    return out;
  });
}
REALABEL_EXPORT("topkStreamStats", TopkStreamStats);

Napi::Value SumF32(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  return Translated(env, [&]() -> Napi::Value {
    Args args(info, info.Length(), false);
    const View<float> data = args.Array<float>(0, "data");
    const int threads = ResolveThreads(args.Threads(1));
    const auto isa = topk_rows::ResolveIsa(ArgIsa(args, 2));
    constexpr int kSumBlocks = 16;
    double parts[kSumBlocks] = {0};
    ParallelBlocks(data.length, kSumBlocks, threads,
                   [&](int b, int64_t s, int64_t e) { parts[b] = topk_rows::SumF32(isa, data.data + s, e - s); });
    double total = 0;
    for (double p : parts) total += p;
    return Napi::Number::New(env, total);
  });
}
REALABEL_EXPORT("sumF32", SumF32);

Napi::Value TopkIsa(const Napi::CallbackInfo& info) {
  return Napi::Number::New(info.Env(), static_cast<int>(topk_rows::BestIsa()));
}
REALABEL_EXPORT("topkIsa", TopkIsa);

}  // namespace
}  // namespace realabel
