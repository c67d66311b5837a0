// Per-row top-k over a row-major [n, c] score matrix (logits or
// probabilities), the kernel behind `realabel evaluate`, `analyze` and
// `clean` (evaltopk_core.h). Order: higher score first, ties broken by the
// lower class index. NaN is rejected (E_NAN with the lowest offending row),
// so the result never depends on how NaN happens to compare.
//
// JS: evalTopkRows(scores: Float32Array|Float64Array, n, c, k,
//                  out: Int32Array /* n*k */, threads) -> undefined
//     evalTopkRowsAsync(..., abort) -> Promise<undefined>
#include <cstdint>
#include <string>

#include "args.h"
#include "evaltopk_core.h"
#include "registry.h"

namespace realabel {
namespace {

class EvalTopkRowsJob {
 public:
  explicit EvalTopkRowsJob(Args& args) {
    scores_ = args.Floats(0, "scores");
    // Types here; ranges and sizes in the core (evaltopk_core.h), shared with the fuzz entry.
    n_ = args.Int(1, "n");
    c_ = args.Int(2, "c");
    k_ = args.Int(3, "k");
    out_ = args.Array<int32_t>(4, "out");
    threads_ = ResolveThreads(args.Threads(5));
    evaltopk::CheckTopkRows(scores_.length, n_, c_, k_, out_.length);
  }
  void Run() {
    const int64_t bad = scores_.f32 ? evaltopk::TopkRows(scores_.f32, n_, c_, k_, out_.data, threads_)
                                    : evaltopk::TopkRows(scores_.f64, n_, c_, k_, out_.data, threads_);
    if (bad >= 0) throw DataError("E_NAN", "scores row " + std::to_string(bad) + " contains NaN", bad);
  }
  Napi::Value Result(Napi::Env env) { return env.Undefined(); }

 private:
  FloatView scores_;
  View<int32_t> out_;
  int64_t n_ = 0, c_ = 0, k_ = 0;
  int threads_ = 1;
};

}  // namespace
}  // namespace realabel

using realabel::EvalTopkRowsJob;
REALABEL_KERNEL("evalTopkRows", EvalTopkRowsJob);
