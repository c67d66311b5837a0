// realabel_cuda.node: the GPU kernels behind the CPU addon's JS signatures,
// so src/native/cuda.ts can put them in front of it (see docs/gpu.md):
//   cudaDeviceCount() -> number (0 without a driver or device)
//   cudaDeviceName() -> string
//   topkSelect(data, n, c, k, criterion, threads[, isa]) -> {image, label, value}
//   topkStreamCreate(c, k, criterion, threads) / topkStreamPush / topkStreamFinish / topkStreamStats
//   poolPairs(n, c, models, srcImage, srcLabel, srcOffsets, srcModel, forced, minVotes)
//   aggEm(problems, options): Dawid–Skene with <= 32 classes on the GPU, else the CPU engine
// Arguments are checked by the CPU cores' own checks, so both addons reject
// the same inputs with the same messages. Compiled by the host compiler; the
// .cu files are linked in.
#include <napi.h>

#include <cmath>
#include <cstdint>
#include <memory>
#include <new>
#include <string>
#include <vector>

#include "../aggregate_core.h"
#include "../args.h"
#include "../parallel.h"
#include "../pool_core.h"
#include "../topk_core.h"
#include "device.h"
#include "em_cuda.h"
#include "pool_cuda.h"
#include "topk_cuda.h"

namespace realabel {
namespace {

using cuda::TopkGpu;

// Every kernel failure becomes a JS error; nothing escapes as a C++ exception.
template <typename Fn>
auto Guard(Napi::Env env, Fn&& fn) -> decltype(fn()) {
  try {
    return fn();
  } catch (const Napi::Error&) {
    throw;
  } catch (const ArgError& e) {
    throw RangeErr(env, e.what());
  } catch (const DataError& e) {
    throw CodedError(Napi::RangeError::New(env, e.what()), e.code());
  } catch (const cuda::Error& e) {
    throw Napi::Error::New(env, "CUDA: " + e.message);
  } catch (const std::bad_alloc&) {
    throw Napi::Error::New(env, "out of memory");
  } catch (const std::exception& e) {
    throw Napi::Error::New(env, std::string("GPU kernel failed: ") + e.what());
  }
}

int64_t Len(const Napi::TypedArray& a) { return static_cast<int64_t>(a.ElementLength()); }

Napi::Value DeviceCount(const Napi::CallbackInfo& info) {
  return Napi::Number::New(info.Env(), cuda::DeviceCount());
}

Napi::Value DeviceName(const Napi::CallbackInfo& info) { return Napi::String::New(info.Env(), cuda::DeviceName()); }

// ---- top-K ----------------------------------------------------------------

struct Matrix {
  const float* f32 = nullptr;
  const double* f64 = nullptr;
  int64_t length = 0;
};

Matrix ArgMatrix(const Napi::CallbackInfo& info, size_t i, const char* what) {
  if (info.Length() > i && info[i].IsTypedArray()) {
    Napi::TypedArray ta = info[i].As<Napi::TypedArray>();
    Matrix m;
    m.length = Len(ta);
    if (ta.TypedArrayType() == napi_float32_array) m.f32 = ta.As<Napi::Float32Array>().Data();
    if (ta.TypedArrayType() == napi_float64_array) m.f64 = ta.As<Napi::Float64Array>().Data();
    if (m.f32 || m.f64) return m;
  }
  throw TypeErr(info.Env(), std::string(what) + ": expected a Float32Array or Float64Array");
}

void PushMatrix(TopkGpu* s, const Matrix& m, int64_t nRows) {
  if (m.f32) s->Push(m.f32, nRows);
  else s->Push(m.f64, nRows);
}

Napi::Value Result(Napi::Env env, TopkGpu* s, int64_t c) {
  return Guard(env, [&]() -> Napi::Value {
    const std::vector<topk::Cand>& best = s->Finish();
    const size_t k = best.size();
    Napi::Int32Array image = Napi::Int32Array::New(env, k), label = Napi::Int32Array::New(env, k);
    Napi::Float32Array value = Napi::Float32Array::New(env, k);
    for (size_t i = 0; i < k; ++i) {
      image.Data()[i] = static_cast<int32_t>(best[i].idx / c);
      label.Data()[i] = static_cast<int32_t>(best[i].idx % c);
    }
    s->Values(best, value.Data());
    Napi::Object out = Napi::Object::New(env);
    out.Set("image", image);
    out.Set("label", label);
    out.Set("value", value);
    return out;
  });
}

Napi::Value TopkSelect(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  Matrix m = ArgMatrix(info, 0, "data");
  const int64_t n = ArgInt(info, 1, "n", kAnyInt.lo, kAnyInt.hi);
  const int64_t c = ArgInt(info, 2, "c", kAnyInt.lo, kAnyInt.hi);
  const int64_t k = ArgInt(info, 3, "k", kAnyInt.lo, kAnyInt.hi);
  const int64_t crit = ArgInt(info, 4, "criterion", kAnyInt.lo, kAnyInt.hi);
  ArgInt(info, 5, "threads", 0, 1024);  // accepted for the same signature; the GPU ignores it
  Checked(env, [&] { topk::CheckSelect(m.length, n, c, k, crit); });
  std::unique_ptr<TopkGpu> s;
  Guard(env, [&] {
    s.reset(new TopkGpu(c, k, static_cast<topk::Criterion>(crit)));
    PushMatrix(s.get(), m, n);
  });
  return Result(env, s.get(), c);
}

const napi_type_tag kStreamTag = {0x3c0ffee5a11d4e7bULL, 0x8d2e6f1a9b4c7d30ULL};

struct Stream {
  std::unique_ptr<TopkGpu> selector;
  int64_t c;
  bool failed = false, finished = false;
  int64_t sampled = 0, fallbacks = 0;  // kept after finish
};

Stream* ArgStream(const Napi::CallbackInfo& info, bool open) {
  if (info.Length() < 1 || !info[0].IsExternal() || !info[0].As<Napi::External<Stream>>().CheckTypeTag(&kStreamTag)) {
    throw TypeErr(info.Env(), "handle: expected a top-K stream");
  }
  Stream* st = info[0].As<Napi::External<Stream>>().Data();
  if (open && st->failed) throw Napi::Error::New(info.Env(), "this top-K stream already failed");
  if (open && st->finished) throw Napi::Error::New(info.Env(), "this top-K stream is finished");
  return st;
}

Napi::Value TopkStreamCreate(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  const int64_t c = ArgInt(info, 0, "c", kAnyInt.lo, kAnyInt.hi);
  const int64_t k = ArgInt(info, 1, "k", kAnyInt.lo, kAnyInt.hi);
  const int64_t crit = ArgInt(info, 2, "criterion", kAnyInt.lo, kAnyInt.hi);
  ArgInt(info, 3, "threads", 0, 1024);
  Checked(env, [&] { topk::CheckStream(c, k, crit); });
  auto* st = new Stream{nullptr, c};
  try {
    Guard(env, [&] { st->selector.reset(new TopkGpu(c, k, static_cast<topk::Criterion>(crit))); });
  } catch (...) {
    delete st;
    throw;
  }
  auto ext = Napi::External<Stream>::New(env, st, [](Napi::Env, Stream* p) { delete p; });
  ext.TypeTag(&kStreamTag);
  return ext;
}

Napi::Value TopkStreamPush(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  Stream* st = ArgStream(info, true);
  Matrix m = ArgMatrix(info, 1, "rows");
  const int64_t nRows = ArgInt(info, 2, "nRows", kAnyInt.lo, kAnyInt.hi);
  Checked(env, [&] { topk::CheckPush(st->selector->rows_seen(), st->c, nRows, m.length); });
  try {
    Guard(env, [&] { PushMatrix(st->selector.get(), m, nRows); });
  } catch (...) {
    st->failed = true;
    throw;
  }
  return env.Undefined();
}

Napi::Value TopkStreamFinish(const Napi::CallbackInfo& info) {
  Stream* st = ArgStream(info, true);
  st->finished = true;
  Napi::Value out = Result(info.Env(), st->selector.get(), st->c);
  st->sampled = st->selector->sampled();
  st->fallbacks = st->selector->fallbacks();
  st->selector.reset();
  return out;
}

// {sampled, fallbacks}: pushes that used a sampled threshold, and those redone.
Napi::Value TopkStreamStats(const Napi::CallbackInfo& info) {
  Stream* st = ArgStream(info, false);
  const bool open = st->selector != nullptr;
  Napi::Object out = Napi::Object::New(info.Env());
  out.Set("sampled", static_cast<double>(open ? st->selector->sampled() : st->sampled));
  out.Set("fallbacks", static_cast<double>(open ? st->selector->fallbacks() : st->fallbacks));
  return out;
}

// ---- pooling --------------------------------------------------------------

Napi::Value PoolPairs(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  pool::Input in;
  in.n = ArgInt(info, 0, "n", kAnyInt.lo, kAnyInt.hi);
  in.c = ArgInt(info, 1, "c", kAnyInt.lo, kAnyInt.hi);
  in.models = ArgInt(info, 2, "models", kAnyInt.lo, kAnyInt.hi);
  auto srcImage = ArgArray<int32_t>(info, 3, "srcImage");
  auto srcLabel = ArgArray<int32_t>(info, 4, "srcLabel");
  auto srcOffsets = ArgArray<int32_t>(info, 5, "srcOffsets");
  auto srcModel = ArgArray<int32_t>(info, 6, "srcModel");
  auto forced = ArgArray<int32_t>(info, 7, "forced");
  in.minVotes = ArgInt(info, 8, "minVotes", kAnyInt.lo, kAnyInt.hi);
  in.srcImage = srcImage.Data();
  in.srcImageLen = Len(srcImage);
  in.srcLabel = srcLabel.Data();
  in.srcLabelLen = Len(srcLabel);
  in.srcOffsets = srcOffsets.Data();
  in.srcOffsetsLen = Len(srcOffsets);
  in.srcModel = srcModel.Data();
  in.sources = Len(srcModel);
  in.forced = forced.Data();
  in.forcedLen = Len(forced);
  Checked(env, [&] { pool::Check(in); });
  return Guard(env, [&]() -> Napi::Value {
    cuda::PoolGpu pooler(in);
    const size_t P = pooler.pairs();
    auto image = Napi::Int32Array::New(env, P), label = Napi::Int32Array::New(env, P), votes = Napi::Int32Array::New(env, P);
    auto masks = Napi::Uint32Array::New(env, P * static_cast<size_t>(pooler.words()) * pooler.planes());
    pooler.Fill(image.Data(), label.Data(), votes.Data(), masks.Data());
    Napi::Object out = Napi::Object::New(env);
    out.Set("image", image);
    out.Set("label", label);
    out.Set("votes", votes);
    out.Set("masks", masks);
    out.Set("planes", Napi::Number::New(env, pooler.planes()));
    out.Set("words", Napi::Number::New(env, static_cast<double>(pooler.words())));
    return out;
  });
}

// ---- EM -------------------------------------------------------------------

template <typename T>
Napi::TypedArrayOf<T> Prop(Napi::Env env, const Napi::Object& o, const char* key, const std::string& what) {
  Napi::Value v = o.Get(key);
  if (!v.IsTypedArray() || v.As<Napi::TypedArray>().TypedArrayType() != TypedArrayTraits<T>::kind) {
    throw TypeErr(env, what + "." + key + ": expected a " + TypedArrayTraits<T>::name);
  }
  return v.As<Napi::TypedArrayOf<T>>();
}

int64_t PropInt(Napi::Env env, const Napi::Object& o, const char* key, const std::string& what, int64_t lo, int64_t hi) {
  Napi::Value v = o.Get(key);
  if (!v.IsNumber()) throw TypeErr(env, what + "." + key + ": expected a number");
  const double d = v.As<Napi::Number>().DoubleValue();
  if (!(d >= static_cast<double>(lo) && d <= static_cast<double>(hi)) || d != std::floor(d)) {
    throw RangeErr(env, what + "." + key + " = " + std::to_string(d) + " must be an integer in [" + std::to_string(lo) +
                            ", " + std::to_string(hi) + "]");
  }
  return static_cast<int64_t>(d);
}

double PropDouble(Napi::Env env, const Napi::Object& o, const char* key, double dflt) {
  Napi::Value v = o.Get(key);
  if (v.IsUndefined()) return dflt;
  if (!v.IsNumber()) throw TypeErr(env, std::string("options.") + key + ": expected a number");
  const double d = v.As<Napi::Number>().DoubleValue();
  if (!std::isfinite(d) || d < 0) throw RangeErr(env, std::string("options.") + key + " must be a finite number >= 0");
  return d;
}

Napi::Float64Array F64(Napi::Env env, const std::vector<double>& v) {
  Napi::Float64Array a = Napi::Float64Array::New(env, v.size());
  std::copy(v.begin(), v.end(), a.Data());
  return a;
}

Napi::Value Em(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (info.Length() < 2 || !info[0].IsArray() || !info[1].IsObject()) {
    throw TypeErr(env, "aggEm(problems, options): expected an array of problems and an options object");
  }
  Napi::Array problems = info[0].As<Napi::Array>();
  Napi::Object o = info[1].As<Napi::Object>();
  return Guard(env, [&]() -> Napi::Value {
    const int32_t A = static_cast<int32_t>(PropInt(env, o, "numAnswers", "options", 1, 1 << 16));
    const int32_t K = static_cast<int32_t>(PropInt(env, o, "numClasses", "options", 1, 1 << 16));
    aggregate::EmOptions opt;
    opt.method = static_cast<aggregate::Method>(PropInt(env, o, "method", "options", 0, 1));
    opt.max_iter = static_cast<int32_t>(PropInt(env, o, "maxIter", "options", 0, 100000000));
    opt.tol = PropDouble(env, o, "tol", 1e-7);
    opt.smoothing = PropDouble(env, o, "smoothing", 0);
    const int threads = ResolveThreads(static_cast<int>(PropInt(env, o, "threads", "options", 0, 1024)));
    Napi::Int32Array match;
    int64_t matchLen = 0;
    if (opt.method == aggregate::Method::kOneCoin && A >= 2) {
      match = Prop<int32_t>(env, o, "match", "options");
      opt.match = match.Data();
      matchLen = Len(match);
    }
    aggregate::CheckEmOptions(opt, A, K, matchLen);
    const uint32_t P = problems.Length();
    Napi::Array results = Napi::Array::New(env, P);
    for (uint32_t p = 0; p < P; ++p) {
      const std::string what = "problems[" + std::to_string(p) + "]";
      Napi::Value pv = problems.Get(p);
      if (!pv.IsObject()) throw TypeErr(env, what + ": expected an object");
      Napi::Object po = pv.As<Napi::Object>();
      aggregate::Answers ans{};
      ans.A = A;
      ans.K = K;
      ans.Q = static_cast<int32_t>(PropInt(env, po, "numQuestions", what, 0, INT32_MAX));
      ans.W = static_cast<int32_t>(PropInt(env, po, "numWorkers", what, 0, INT32_MAX));
      aggregate::CheckSizes(ans.Q, ans.W, A, K);
      auto q = Prop<int32_t>(env, po, "question", what);
      auto w = Prop<int32_t>(env, po, "worker", what);
      auto a = Prop<int32_t>(env, po, "answer", what);
      ans.q = q.Data();
      ans.w = w.Data();
      ans.a = a.Data();
      aggregate::CheckAnswers(what, &ans, Len(q), Len(w), Len(a));
      auto init = Prop<double>(env, po, "init", what);
      aggregate::CheckCount(what + ".init", Len(init), int64_t{ans.Q} * K, "numQuestions * numClasses");
      aggregate::CheckFinite(what + ".init", init.Data(), Len(init), true);
      Napi::Float64Array post = Napi::Float64Array::New(env, static_cast<size_t>(ans.Q) * K);
      Napi::Float64Array conf = Napi::Float64Array::New(env, static_cast<size_t>(ans.W) * K * A);
      Napi::Float64Array prior = Napi::Float64Array::New(env, K);
      Napi::Float64Array skill = Napi::Float64Array::New(env, ans.W);
      aggregate::EmOutput out{post.Data(), conf.Data(), prior.Data(), skill.Data()};
      if (cuda::EmOnGpu(opt, K)) {
        cuda::RunEmGpu(ans, opt, init.Data(), &out);
      } else {
        aggregate::RunEm(ans, opt, init.Data(), threads, &out);
      }
      Napi::Object r = Napi::Object::New(env);
      r.Set("posterior", post);
      r.Set("confusion", conf);
      r.Set("prior", prior);
      if (opt.method == aggregate::Method::kOneCoin) r.Set("skill", skill);
      r.Set("logLikelihood", F64(env, out.log_likelihood));
      r.Set("objective", F64(env, out.objective));
      r.Set("iterations", Napi::Number::New(env, out.iterations));
      r.Set("converged", Napi::Boolean::New(env, out.converged));
      results.Set(p, r);
    }
    return results;
  });
}

Napi::Object Init(Napi::Env env, Napi::Object exports) {
  const struct {
    const char* name;
    Napi::Value (*fn)(const Napi::CallbackInfo&);
  } fns[] = {{"cudaDeviceCount", DeviceCount}, {"cudaDeviceName", DeviceName},     {"topkSelect", TopkSelect},
             {"topkStreamCreate", TopkStreamCreate}, {"topkStreamPush", TopkStreamPush},
             {"topkStreamFinish", TopkStreamFinish}, {"topkStreamStats", TopkStreamStats},
             {"poolPairs", PoolPairs},               {"aggEm", Em}};
  for (const auto& f : fns) exports.Set(f.name, Napi::Function::New(env, f.fn, f.name));
  return exports;
}

}  // namespace
}  // namespace realabel

static Napi::Object InitModule(Napi::Env env, Napi::Object exports) { return realabel::Init(env, exports); }
NODE_API_MODULE(realabel_cuda, InitModule)
