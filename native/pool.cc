// JS binding of the pooling kernel (pool_core.h):
//   poolPairs(n, c, models, srcImage, srcLabel, srcOffsets, srcModel, forced, minVotes)
//   -> {image, label, votes, masks, planes, words}
//   poolPairsAsync(..., abort) -> Promise of the same
#include <memory>
#include <vector>

#include "args.h"
#include "pool_core.h"
#include "registry.h"

namespace realabel {
namespace {

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
    pool::Pooler pooler(in_);
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

}  // namespace
}  // namespace realabel

using realabel::PoolPairsJob;
REALABEL_KERNEL("poolPairs", PoolPairsJob);
