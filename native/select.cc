// JS binding of the model-subset search (select_core.h):
//   selectExhaustive(models, words32, minVotes, A, B, F, base, pos, gold, goldDen, maxTp, threads)
//   -> {mask, count, den}: Int32Array(maxTp + 1) each
#include <string>

#include "args.h"
#include "parallel.h"
#include "registry.h"
#include "select_core.h"

namespace realabel {
namespace {

const uint32_t* Bitset(const Napi::CallbackInfo& info, size_t i, const char* what, int64_t* len) {
  auto arr = ArgArray<uint32_t>(info, i, what);
  *len = static_cast<int64_t>(arr.ElementLength());
  return arr.Data();
}

Napi::Value SelectExhaustive(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  subsets::Input in;
  in.models = ArgInt(info, 0, "models", kAnyInt.lo, kAnyInt.hi);
  in.words32 = ArgInt(info, 1, "words", kAnyInt.lo, kAnyInt.hi);
  in.minVotes = ArgInt(info, 2, "minVotes", kAnyInt.lo, kAnyInt.hi);
  in.a = Bitset(info, 3, "A", &in.aLen);
  in.b = Bitset(info, 4, "B", &in.bLen);
  in.f = Bitset(info, 5, "F", &in.fLen);
  in.base = Bitset(info, 6, "base", &in.baseLen);
  in.pos = Bitset(info, 7, "pos", &in.posLen);
  in.gold = Bitset(info, 8, "gold", &in.goldLen);
  if (info.Length() <= 9 || !info[9].IsBoolean()) throw TypeErr(env, "goldDen: expected a boolean");
  in.goldDen = info[9].As<Napi::Boolean>().Value();
  in.maxTp = ArgInt(info, 10, "maxTp", kAnyInt.lo, kAnyInt.hi);
  const int threads = ResolveThreads(static_cast<int>(ArgInt(info, 11, "threads", 0, 1024)));
  Checked(env, [&] { subsets::Check(in); });
  const size_t T = static_cast<size_t>(in.maxTp) + 1;
  auto mask = Napi::Int32Array::New(env, T);
  auto count = Napi::Int32Array::New(env, T);
  auto den = Napi::Int32Array::New(env, T);
  subsets::Search(in, threads, mask.Data(), count.Data(), den.Data());
  Napi::Object out = Napi::Object::New(env);
  out.Set("mask", mask);
  out.Set("count", count);
  out.Set("den", den);
  return out;
}

}  // namespace
}  // namespace realabel

using realabel::SelectExhaustive;
REALABEL_EXPORT("selectExhaustive", SelectExhaustive);
