// Exact top-K on the GPU with the CPU selector's contract (topk_core.h):
// the same pairs in the same order (key descending, flat index ascending) and
// the same keys bit for bit, for both criteria. Plain C++ header: the binding
// and the standalone check include it without CUDA.
//
// Rows stream through the GPU in row blocks, so the matrix may exceed GPU
// memory. Per block: a non-finite check, the row log-sum-exp (prob; the
// topk_math.h arithmetic, lane for lane), then an exact radix select of the
// block's K-th key among the keys above the running threshold, and an
// ordered compaction of the block's at most K best. The host merges them
// with the CPU's own ordering helpers (topk_order.h). While the GPU works on
// one block, the next is copied into pinned memory and on to the GPU on a
// second stream.
#pragma once
#include <cstdint>
#include <functional>
#include <memory>
#include <vector>

#include "../topk_order.h"
#include "../topk_core.h"
#include "device.h"

namespace realabel {
namespace cuda {

class TopkGpu {
 public:
  // maxBlockValues caps the values per row block (0: from free GPU memory).
  TopkGpu(int64_t c, int64_t k, topk::Criterion criterion, int64_t maxBlockValues = 0);
  ~TopkGpu();
  TopkGpu(const TopkGpu&) = delete;
  TopkGpu& operator=(const TopkGpu&) = delete;

  // Rows [rows_seen, rows_seen + nRows) from host memory. T: float or double.
  // Throws topk::SelectError on a non-finite value (the CPU's message),
  // cuda::Error on a CUDA failure.
  template <typename T>
  void Push(const T* host, int64_t nRows);
  // The same, from rows already in GPU memory (nothing is copied).
  template <typename T>
  void PushDevice(const T* device, int64_t nRows);

  const std::vector<topk::Cand>& Finish();
  void Values(const std::vector<topk::Cand>& best, float* out) const;
  int64_t rows_seen() const { return rows_seen_; }
  // Seconds spent copying host rows to the GPU (staging + transfer waits).
  double copy_seconds() const { return copy_seconds_; }
  // Pushes that used a sampled threshold, and those redone without it.
  int64_t sampled() const { return sampled_; }
  int64_t fallbacks() const { return fallbacks_; }

 private:
  struct Impl;
  template <typename T>
  void HostBlocks(const T* host, int64_t nRows, uint64_t floor);
  template <typename T>
  void DeviceBlocks(const T* device, int64_t nRows, uint64_t floor);
  template <typename T>
  void Block(const T* rows, int64_t nRows, uint64_t floor, const std::function<void()>& whileBusy);
  template <typename T>
  bool SampleFloor(const std::function<void(int64_t, T*)>& row, int64_t nRows, uint64_t* floor) const;
  template <typename T, typename Run>
  void Sampled(const std::function<void(int64_t, T*)>& row, int64_t nRows, Run&& run);
  void Merge(std::vector<topk::Cand>* greater, std::vector<topk::Cand>* equal);

  int64_t c_, k_, cap_;
  topk::Criterion criterion_;
  int64_t rows_seen_ = 0;
  bool have_theta_ = false;
  double theta_ = 0;
  double copy_seconds_ = 0;
  int64_t sampled_ = 0, fallbacks_ = 0;
  std::vector<topk::Cand> buffer_;  // candidates in index order
  std::unique_ptr<Impl> impl_;
};

}  // namespace cuda
}  // namespace realabel
