// Pooling of label proposals, free of Node-API (pool.cc binds it; the fuzz
// entry native/fuzz/fuzz_pool.cc runs it). S sources of (image, label) pairs
// (two per model in `propose`: its top-K by logit and by probability) plus
// forced pairs (each model's top-1 and the original label). A pair is kept
// when at least `minVotes` sources propose it, or when it is forced.
//
// Memory is O(total pairs): every occurrence is encoded as one uint64
// ((image * C + label) << tagBits | tag), radix-sorted, and scanned once, so
// equal pairs are adjacent and sorted by (image, label). Tag S marks a forced
// occurrence. Never allocates anything of size N * C.
#pragma once
#include <cstddef>
#include <cstdint>
#include <vector>

#include "check.h"

namespace realabel {
namespace pool {

// The flat input; each array comes with its length (the typed array's).
struct Input {
  int64_t n = 0, c = 0, models = 0, minVotes = 0;
  const int32_t* srcImage = nullptr;
  int64_t srcImageLen = 0;
  const int32_t* srcLabel = nullptr;
  int64_t srcLabelLen = 0;
  const int32_t* srcOffsets = nullptr;  // sources + 1 entries
  int64_t srcOffsetsLen = 0;
  const int32_t* srcModel = nullptr;  // one per source
  int64_t sources = 0;
  const int32_t* forced = nullptr;  // rows of n labels
  int64_t forcedLen = 0;
};

// Mask words beyond 16 per value given (plus this slack) are refused.
constexpr int64_t kMaskSlack = int64_t{1} << 22;

// Checks everything but the pair and label values (Pooler checks those as it
// encodes them); throws ArgError.
void Check(const Input& in);

// Pools a checked input. Construction encodes and sorts (ArgError on a pair or
// forced label out of range); Fill writes the kept pairs, sorted by (image, label).
class Pooler {
 public:
  explicit Pooler(const Input& in);
  size_t pairs() const { return starts_.size(); }
  int planes() const { return planes_; }
  int64_t words() const { return words_; }
  // image, label, votes: pairs() each; masks: planes() * pairs() * words(),
  // layout [plane][pair][word], bit m set when >= plane + 1 sources of model m list the pair.
  void Fill(int32_t* image, int32_t* label, int32_t* votes, uint32_t* masks) const;

 private:
  const Input& in_;
  int tag_bits_ = 0;
  int planes_ = 1;
  int64_t words_ = 1;
  std::vector<uint64_t> keys_;
  std::vector<size_t> starts_;
};

}  // namespace pool
}  // namespace realabel
