// Per-row top-k over a row-major [n, c] score matrix (logits or
// probabilities), the kernel behind `realabel evaluate`, `analyze` and
// `clean`. Order: higher score first, ties broken by the lower class index.
// NaN is rejected (the lowest offending row is reported), so the result never
// depends on how NaN happens to compare.
//
// JS: evalTopkRows(scores: Float32Array|Float64Array, n, c, k,
//                  out: Int32Array /* n*k */, threads) -> undefined
#include <cstdint>
#include <limits>
#include <string>

#include "args.h"
#include "evaluate-topk.h"
#include "registry.h"

namespace realabel {
namespace {

using evaltopk::TopkRows;

template <typename T>
void Run(const Napi::CallbackInfo& info, const T* scores, size_t length) {
  Napi::Env env = info.Env();
  // Types here; ranges and sizes in the core (evaluate-topk.h), shared with the fuzz entry.
  const int64_t n = ArgInt(info, 1, "n", kAnyInt.lo, kAnyInt.hi);
  const int64_t c = ArgInt(info, 2, "c", kAnyInt.lo, kAnyInt.hi);
  const int64_t k = ArgInt(info, 3, "k", kAnyInt.lo, kAnyInt.hi);
  Napi::Int32Array out = ArgArray<int32_t>(info, 4, "out");
  const int threads = ResolveThreads(static_cast<int>(ArgInt(info, 5, "threads", 0, 1024)));
  Checked(env, [&] { evaltopk::CheckTopkRows(static_cast<int64_t>(length), n, c, k, static_cast<int64_t>(out.ElementLength())); });
  const int64_t bad = TopkRows(scores, n, c, k, out.Data(), threads);
  if (bad >= 0) throw RangeErr(env, "scores row " + std::to_string(bad) + " contains NaN");
}

}  // namespace
}  // namespace realabel

static Napi::Value EvalTopkRows(const Napi::CallbackInfo& info) {
  using namespace realabel;
  Napi::Env env = info.Env();
  if (info.Length() < 1 || !info[0].IsTypedArray()) throw TypeErr(env, "scores: expected a Float32Array or Float64Array");
  const napi_typedarray_type kind = info[0].As<Napi::TypedArray>().TypedArrayType();
  if (kind == napi_float32_array) {
    Napi::Float32Array a = ArgArray<float>(info, 0, "scores");
    Run<float>(info, a.Data(), a.ElementLength());
  } else if (kind == napi_float64_array) {
    Napi::Float64Array a = ArgArray<double>(info, 0, "scores");
    Run<double>(info, a.Data(), a.ElementLength());
  } else {
    throw TypeErr(env, "scores: expected a Float32Array or Float64Array");
  }
  return env.Undefined();
}
REALABEL_EXPORT("evalTopkRows", EvalTopkRows);
