// Exact top-K over an [N, C] matrix under the total order (key descending,
// flat index image*C + label ascending), consumed in row chunks with O(K)
// state. The result is unique, so it never depends on chunking, blocks or
// threads; those only change how much work the filters save.
#pragma once
#include <cstdint>
#include <limits>
#include <string>
#include <vector>

#include "check.h"
#include "topk_order.h"
#include "topk_rows.h"

namespace realabel {
namespace topk {

enum Criterion : int { kLogit = 0, kProb = 1 };

constexpr int64_t kMaxDim = 2147483647;          // image and label are int32
constexpr int64_t kMaxStreamK = INT64_C(1) << 53;  // K of a stream (its rows are not known yet)

// Argument checks of the bindings (topk.cc), here so that the fuzz entry runs
// them too; each throws ArgError naming the first bad argument.
// One matrix of `length` values claimed to be [n, c]:
void CheckSelect(int64_t length, int64_t n, int64_t c, int64_t k, int64_t criterion);
// A stream over rows of c values:
void CheckStream(int64_t c, int64_t k, int64_t criterion);
// nRows more rows, from a buffer of `length` values, after rowsSeen rows:
void CheckPush(int64_t rowsSeen, int64_t c, int64_t nRows, int64_t length);

// Lower bound on the keys a block keeps: key > value (strict) or key >= value.
struct Bound {
  double value = -std::numeric_limits<double>::infinity();
  bool strict = true;
  bool Accepts(double key) const { return strict ? key > value : key >= value; }
};

class Selector {
 public:
  // expected_rows > 0 (a file reader knows it) lets the first push estimate
  // the K-th key of the whole matrix from a sample, as the in-memory kernel
  // does, instead of the K-th of that chunk: later chunks then keep only
  // keys near the final top K. Until K keys reach the estimate it is
  // unproven; if they never do, Unproven() is true and Finish refuses: the
  // caller must push the rows again into a selector without the hint.
  Selector(int64_t c, int64_t k, Criterion criterion, int threads, topk_rows::Isa isa, int64_t expected_rows = 0);
  ~Selector();

  // Consumes rows [rowsSeen, rowsSeen + nRows). T is float or double.
  // `last` promises that Finish comes next (skips a compaction).
  // Throws DataError (E_NOT_FINITE, with row and column) on a non-finite value.
  template <typename T>
  void Push(const T* data, int64_t nRows, bool last = false);

  // The K best, best first (valid until the selector is destroyed). Throws
  // ArgError when fewer than K entries were pushed.
  const std::vector<Cand>& Finish();

  // The reported values of best (from Finish): the logits, or the
  // probabilities exp(key).
  void Values(const std::vector<Cand>& best, float* out) const;

  int64_t rows_seen() const { return rows_seen_; }
  // A hinted estimate that fewer than K keys reached (see the constructor).
  bool Unproven() const { return hinted_ && static_cast<int64_t>(buffer_.size()) < k_; }
  // Chunks that used a sampled threshold, and those whose sample proved unsafe.
  int64_t sampled_chunks() const { return sampled_chunks_; }
  int64_t fallbacks() const { return fallbacks_; }

 private:
  struct Block;
  template <typename T>
  void RunBlocks(const T* data, int64_t nRows, Bound start);
  template <typename T>
  void ProcessRows(const T* data, int64_t r0, int64_t r1, Block* b) const;
  template <typename T>
  bool SampleThreshold(const T* data, int64_t nRows, double* tau) const;
  template <typename T>
  bool SampleKeys(const T* data, int64_t nRows, int64_t sRows, double p, double* tau) const;
  template <typename T>
  bool PushHinted(const T* data, int64_t nRows);
  void Keep(Block* b, double key, int64_t idx) const;
  void AppendBlocks();
  void CompactIfFull();

  int64_t c_, k_, cap_;
  Criterion criterion_;
  int threads_;
  topk_rows::Isa isa_;
  int64_t rows_seen_ = 0;
  int64_t sampled_chunks_ = 0, fallbacks_ = 0;
  int64_t expected_rows_;
  bool hinted_ = false;  // the first push estimated hint_tau_ for the whole matrix
  double hint_tau_ = 0;
  bool have_theta_ = false;
  double theta_ = -std::numeric_limits<double>::infinity();  // K-th best so far (strict)
  std::vector<Cand> buffer_;                                  // candidates in index order
  // Per-chunk working memory, kept between pushes: a stream of small chunks
  // must not pay for fresh memory at every push (first touch is slow).
  std::vector<Block> blocks_;
  OrderScratch scratch_;
};

}  // namespace topk
}  // namespace realabel
