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
  Selector(int64_t c, int64_t k, Criterion criterion, int threads, topk_rows::Isa isa);
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
  void Keep(Block* b, double key, int64_t idx) const;

  int64_t c_, k_, cap_;
  Criterion criterion_;
  int threads_;
  topk_rows::Isa isa_;
  int64_t rows_seen_ = 0;
  int64_t sampled_chunks_ = 0, fallbacks_ = 0;
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
