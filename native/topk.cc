// JS bindings of the exact top-K selection (topk_select.h):
//   topkSelect(data, n, c, k, criterion, threads[, isa]) -> {image, label, value}
//   topkStreamCreate(c, k, criterion, threads[, isa]) -> handle
//   topkStreamPush(handle, rows, nRows);  topkStreamFinish(handle) -> {image, label, value}
//   topkStreamStats(handle) -> {sampled, fallbacks}   (after finish; for tests)
//   sumF32(data, threads[, isa]) -> number     (the benchmark's read pass)
//   topkIsa() -> best SIMD variant (1 scalar, 2 AVX2, 3 AVX-512)
// criterion: 0 = logit, 1 = prob. isa caps the SIMD variant (tests use it).
#include <napi.h>

#include <cstdint>
#include <memory>
#include <new>

#include "args.h"
#include "parallel.h"
#include "registry.h"
#include "topk_select.h"

namespace realabel {
namespace {

using topk::Selector;

const napi_type_tag kStreamTag = {0x7a1c5e0f3b2d4e61ULL, 0x9f8e7d6c5b4a3921ULL};

struct Stream {
  std::unique_ptr<Selector> selector;
  int64_t c;
  bool failed = false;
  bool finished = false;
  int64_t sampled_chunks = 0, fallbacks = 0;  // kept after finish
};

// A Float32Array or Float64Array argument.
struct Matrix {
  const float* f32 = nullptr;
  const double* f64 = nullptr;
  int64_t length = 0;
};

Matrix ArgMatrix(const Napi::CallbackInfo& info, size_t i, const char* what) {
  Napi::Env env = info.Env();
  if (info.Length() > i && info[i].IsTypedArray()) {
    Napi::TypedArray ta = info[i].As<Napi::TypedArray>();
    Matrix m;
    m.length = static_cast<int64_t>(ta.ElementLength());
    if (ta.TypedArrayType() == napi_float32_array) {
      m.f32 = ta.As<Napi::Float32Array>().Data();
      return m;
    }
    if (ta.TypedArrayType() == napi_float64_array) {
      m.f64 = ta.As<Napi::Float64Array>().Data();
      return m;
    }
  }
  throw TypeErr(env, std::string(what) + ": expected a Float32Array or Float64Array");
}

int ArgIsa(const Napi::CallbackInfo& info, size_t i) {
  if (info.Length() <= i || info[i].IsUndefined()) return 0;
  return static_cast<int>(ArgInt(info, i, "isa", 0, 3));
}

// Runs fn, turning selection and allocation failures into JS errors.
template <typename Fn>
void Guard(Napi::Env env, Fn&& fn) {
  try {
    fn();
  } catch (const topk::SelectError& e) {
    throw RangeErr(env, e.message);
  } catch (const std::bad_alloc&) {
    throw Napi::Error::New(env, "top-K: out of memory");
  }
}

void PushMatrix(Selector* s, const Matrix& m, int64_t nRows, bool last) {
  if (m.f32) {
    s->Push(m.f32, nRows, last);
  } else {
    s->Push(m.f64, nRows, last);
  }
}

Napi::Value Result(Napi::Env env, Selector* s, int64_t c) {
  const std::vector<topk::Cand>* best = nullptr;
  Guard(env, [&] { best = &s->Finish(); });
  const size_t k = best->size();
  Napi::Int32Array image = Napi::Int32Array::New(env, k);
  Napi::Int32Array label = Napi::Int32Array::New(env, k);
  Napi::Float32Array value = Napi::Float32Array::New(env, k);
  int32_t* im = image.Data();
  int32_t* lb = label.Data();
  float* val = value.Data();
  for (size_t i = 0; i < k; ++i) {
    const topk::Cand& cand = (*best)[i];
    im[i] = static_cast<int32_t>(cand.idx / c);
    lb[i] = static_cast<int32_t>(cand.idx % c);
  }
  s->Values(*best, val);
  Napi::Object out = Napi::Object::New(env);
  out.Set("image", image);
  out.Set("label", label);
  out.Set("value", value);
  return out;
}

Napi::Value TopkSelect(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  Matrix m = ArgMatrix(info, 0, "data");
  int64_t n = ArgInt(info, 1, "n", kAnyInt.lo, kAnyInt.hi);
  int64_t c = ArgInt(info, 2, "c", kAnyInt.lo, kAnyInt.hi);
  int64_t k = ArgInt(info, 3, "k", kAnyInt.lo, kAnyInt.hi);
  int64_t crit = ArgInt(info, 4, "criterion", kAnyInt.lo, kAnyInt.hi);
  int threads = static_cast<int>(ArgInt(info, 5, "threads", 0, 1024));
  auto isa = topkrows::ResolveIsa(ArgIsa(info, 6));
  Checked(env, [&] { topk::CheckSelect(m.length, n, c, k, crit); });
  auto criterion = static_cast<topk::Criterion>(crit);
  std::unique_ptr<Selector> s;
  Guard(env, [&] {
    s.reset(new Selector(c, k, criterion, threads, isa));
    PushMatrix(s.get(), m, n, true);
  });
  return Result(env, s.get(), c);
}
REALABEL_EXPORT("topkSelect", TopkSelect);

Stream* ArgHandle(const Napi::CallbackInfo& info) {
  if (info.Length() < 1 || !info[0].IsExternal() ||
      !info[0].As<Napi::External<Stream>>().CheckTypeTag(&kStreamTag)) {
    throw TypeErr(info.Env(), "handle: expected a top-K stream");
  }
  return info[0].As<Napi::External<Stream>>().Data();
}

// An open stream.
Stream* ArgStream(const Napi::CallbackInfo& info) {
  Stream* st = ArgHandle(info);
  if (st->failed) throw Napi::Error::New(info.Env(), "this top-K stream already failed");
  if (st->finished) throw Napi::Error::New(info.Env(), "this top-K stream is finished");
  return st;
}

Napi::Value TopkStreamCreate(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  int64_t c = ArgInt(info, 0, "c", kAnyInt.lo, kAnyInt.hi);
  int64_t k = ArgInt(info, 1, "k", kAnyInt.lo, kAnyInt.hi);
  int64_t crit = ArgInt(info, 2, "criterion", kAnyInt.lo, kAnyInt.hi);
  int threads = static_cast<int>(ArgInt(info, 3, "threads", 0, 1024));
  auto isa = topkrows::ResolveIsa(ArgIsa(info, 4));
  Checked(env, [&] { topk::CheckStream(c, k, crit); });
  auto criterion = static_cast<topk::Criterion>(crit);
  auto* st = new Stream{std::unique_ptr<Selector>(new Selector(c, k, criterion, threads, isa)), c};
  auto ext = Napi::External<Stream>::New(env, st, [](Napi::Env, Stream* p) { delete p; });
  ext.TypeTag(&kStreamTag);
  return ext;
}
REALABEL_EXPORT("topkStreamCreate", TopkStreamCreate);

Napi::Value TopkStreamPush(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  Stream* st = ArgStream(info);
  Matrix m = ArgMatrix(info, 1, "rows");
  int64_t nRows = ArgInt(info, 2, "nRows", kAnyInt.lo, kAnyInt.hi);
  Checked(env, [&] { topk::CheckPush(st->selector->rows_seen(), st->c, nRows, m.length); });
  try {
    Guard(env, [&] { PushMatrix(st->selector.get(), m, nRows, false); });
  } catch (...) {
    st->failed = true;
    throw;
  }
  return env.Undefined();
}
REALABEL_EXPORT("topkStreamPush", TopkStreamPush);

Napi::Value TopkStreamFinish(const Napi::CallbackInfo& info) {
  Stream* st = ArgStream(info);
  st->finished = true;
  Napi::Value out = Result(info.Env(), st->selector.get(), st->c);
  st->sampled_chunks = st->selector->sampled_chunks();
  st->fallbacks = st->selector->fallbacks();
  st->selector.reset();
  return out;
}
REALABEL_EXPORT("topkStreamFinish", TopkStreamFinish);

// {sampled, fallbacks} of a finished stream (tests check which paths ran).
Napi::Value TopkStreamStats(const Napi::CallbackInfo& info) {
  Stream* st = ArgHandle(info);
  Napi::Object out = Napi::Object::New(info.Env());
  out.Set("sampled", Napi::Number::New(info.Env(), static_cast<double>(st->sampled_chunks)));
  out.Set("fallbacks", Napi::Number::New(info.Env(), static_cast<double>(st->fallbacks)));
  return out;
}
REALABEL_EXPORT("topkStreamStats", TopkStreamStats);

Napi::Value SumF32(const Napi::CallbackInfo& info) {
  auto data = ArgArray<float>(info, 0, "data");
  int threads = ResolveThreads(static_cast<int>(ArgInt(info, 1, "threads", 0, 1024)));
  auto isa = topkrows::ResolveIsa(ArgIsa(info, 2));
  const float* x = data.Data();
  const int64_t n = static_cast<int64_t>(data.ElementLength());
  constexpr int kSumBlocks = 16;
  double parts[kSumBlocks] = {0};
  ParallelBlocks(n, kSumBlocks, threads,
                 [&](int b, int64_t s, int64_t e) { parts[b] = topkrows::SumF32(isa, x + s, e - s); });
  double total = 0;
  for (double p : parts) total += p;
  return Napi::Number::New(info.Env(), total);
}
REALABEL_EXPORT("sumF32", SumF32);

Napi::Value TopkIsa(const Napi::CallbackInfo& info) {
  return Napi::Number::New(info.Env(), static_cast<int>(topkrows::BestIsa()));
}
REALABEL_EXPORT("topkIsa", TopkIsa);

}  // namespace
}  // namespace realabel
