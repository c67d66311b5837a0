// JS binding of the model-subset search (subsets_core.h):
//   selectExhaustive(models, words32, minVotes, A, B, F, base, pos, gold, goldDen, maxTp, threads)
//   -> {mask, count, den}: Int32Array(maxTp + 1) each
//   selectExhaustiveAsync(..., abort) -> Promise of the same
#include <vector>

#include "args.h"
#include "parallel.h"
#include "registry.h"
#include "subsets_core.h"

namespace realabel {
namespace {

class SelectExhaustiveJob {
 public:
  explicit SelectExhaustiveJob(Args& args) {
    in_.models = args.Int(0, "models");
    in_.words32 = args.Int(1, "words");
    in_.minVotes = args.Int(2, "minVotes");
    Bitset(args, 3, "A", &in_.a, &in_.aLen);
    Bitset(args, 4, "B", &in_.b, &in_.bLen);
    Bitset(args, 5, "F", &in_.f, &in_.fLen);
    Bitset(args, 6, "base", &in_.base, &in_.baseLen);
    Bitset(args, 7, "pos", &in_.pos, &in_.posLen);
    Bitset(args, 8, "gold", &in_.gold, &in_.goldLen);
    in_.goldDen = args.Bool(9, "goldDen");
    in_.maxTp = args.Int(10, "maxTp");
    threads_ = ResolveThreads(args.Threads(11));
    subsets::Check(in_);
  }
  void Run() {
    const size_t T = static_cast<size_t>(in_.maxTp) + 1;
    mask_.resize(T);
    count_.resize(T);
    den_.resize(T);
    subsets::Search(in_, threads_, mask_.data(), count_.data(), den_.data());
  }
  Napi::Value Result(Napi::Env env) {
    Napi::Object out = Napi::Object::New(env);
    out.Set("mask", NewArray(env, mask_));
    out.Set("count", NewArray(env, count_));
    out.Set("den", NewArray(env, den_));
    return out;
  }

 private:
  static void Bitset(Args& args, size_t i, const char* what, const uint32_t** data, int64_t* len) {
    const View<uint32_t> v = args.Array<uint32_t>(i, what);
    *data = v.data;
    *len = v.length;
  }

  subsets::Input in_;
  int threads_ = 1;
  std::vector<int32_t> mask_, count_, den_;
};

}  // namespace
}  // namespace realabel

using realabel::SelectExhaustiveJob;
REALABEL_KERNEL("selectExhaustive", SelectExhaustiveJob);
