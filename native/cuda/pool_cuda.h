// Pooling of label proposals on the GPU, with pool::Pooler's contract
// (pool_core.h) and output byte for byte: every occurrence becomes one
// uint64 ((image * C + label) << tagBits | tag), the GPU radix-sorts them,
// marks the groups of equal pairs, counts each group's distinct sources and
// writes the kept pairs with their per-model planes. Run pool::Check first.
// Plain C++ header.
#pragma once
#include <cstddef>
#include <cstdint>
#include <memory>

#include "../pool_core.h"
#include "device.h"

namespace realabel {
namespace cuda {

class PoolGpu {
 public:
  // Throws ArgError (the CPU's message) on a pair or forced label out of
  // range, cuda::Error on a CUDA failure or more than 2^31 - 1 occurrences.
  explicit PoolGpu(const pool::Input& in);
  ~PoolGpu();
  size_t pairs() const { return pairs_; }
  int planes() const { return planes_; }
  int64_t words() const { return words_; }
  void Fill(int32_t* image, int32_t* label, int32_t* votes, uint32_t* masks) const;

 private:
  struct Impl;
  size_t pairs_ = 0;
  int planes_ = 1;
  int64_t words_ = 1;
  std::unique_ptr<Impl> impl_;
};

}  // namespace cuda
}  // namespace realabel
