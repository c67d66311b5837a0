// JS binding of the pooling kernel (pool_core.h):
//   poolPairs(n, c, models, srcImage, srcLabel, srcOffsets, srcModel, forced, minVotes)
//   -> {image, label, votes, masks, planes, words}
#include <memory>

#include "args.h"
#include "pool_core.h"
#include "registry.h"

namespace realabel {
namespace {

int64_t Len(const Napi::TypedArray& a) { return static_cast<int64_t>(a.ElementLength()); }

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
  std::unique_ptr<pool::Pooler> pooler;
  Checked(env, [&] { pooler.reset(new pool::Pooler(in)); });
  const size_t P = pooler->pairs();
  auto outImage = Napi::Int32Array::New(env, P);
  auto outLabel = Napi::Int32Array::New(env, P);
  auto outVotes = Napi::Int32Array::New(env, P);
  auto outMasks = Napi::Uint32Array::New(env, P * static_cast<size_t>(pooler->words()) * pooler->planes());
  pooler->Fill(outImage.Data(), outLabel.Data(), outVotes.Data(), outMasks.Data());
  Napi::Object out = Napi::Object::New(env);
  out.Set("image", outImage);
  out.Set("label", outLabel);
  out.Set("votes", outVotes);
  out.Set("masks", outMasks);
  out.Set("planes", Napi::Number::New(env, pooler->planes()));
  out.Set("words", Napi::Number::New(env, static_cast<double>(pooler->words())));
  return out;
}

}  // namespace
}  // namespace realabel

using realabel::PoolPairs;
REALABEL_EXPORT("poolPairs", PoolPairs);
