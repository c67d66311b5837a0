// Shared helpers of the .cu files: error checks and RAII buffers.
#pragma once
#include <cuda_runtime.h>

#include <cstddef>
#include <string>
#include <utility>

#include "device.h"

namespace realabel {
namespace cuda {

inline void Check(cudaError_t err, const char* call) {
  if (err == cudaSuccess) return;
  cudaGetLastError();  // clear a sticky launch error so the next call starts clean
  if (err == cudaErrorMemoryAllocation) throw Error(std::string(call) + ": out of GPU memory");
  throw Error(std::string(call) + ": " + cudaGetErrorString(err));
}
#define RL_CUDA(call) ::realabel::cuda::Check((call), #call)
#define RL_LAUNCHED(what) ::realabel::cuda::Check(cudaGetLastError(), what)

// Device memory of `n` T.
template <typename T>
class DeviceBuffer {
 public:
  DeviceBuffer() = default;
  explicit DeviceBuffer(size_t n) { Reset(n); }
  ~DeviceBuffer() { cudaFree(p_); }
  DeviceBuffer(const DeviceBuffer&) = delete;
  DeviceBuffer& operator=(const DeviceBuffer&) = delete;
  DeviceBuffer(DeviceBuffer&& o) noexcept : p_(std::exchange(o.p_, nullptr)), n_(std::exchange(o.n_, 0)) {}
  void Reset(size_t n) {
    cudaFree(p_);
    p_ = nullptr;
    n_ = 0;
    if (n == 0) return;
    RL_CUDA(cudaMalloc(reinterpret_cast<void**>(&p_), n * sizeof(T)));
    n_ = n;
  }
  // Grows to at least n (contents are not kept).
  void Reserve(size_t n) {
    if (n > n_) Reset(n);
  }
  T* get() const { return p_; }
  size_t size() const { return n_; }
  void Swap(DeviceBuffer& o) noexcept {
    std::swap(p_, o.p_);
    std::swap(n_, o.n_);
  }

 private:
  T* p_ = nullptr;
  size_t n_ = 0;
};

// Page-locked host memory (the staging area of overlapped copies).
class PinnedBuffer {
 public:
  PinnedBuffer() = default;
  ~PinnedBuffer() { cudaFreeHost(p_); }
  PinnedBuffer(const PinnedBuffer&) = delete;
  PinnedBuffer& operator=(const PinnedBuffer&) = delete;
  void Reserve(size_t bytes) {
    if (bytes <= n_) return;
    cudaFreeHost(p_);
    p_ = nullptr;
    n_ = 0;
    RL_CUDA(cudaMallocHost(&p_, bytes));
    n_ = bytes;
  }
  void* get() const { return p_; }

 private:
  void* p_ = nullptr;
  size_t n_ = 0;
};

class Stream {
 public:
  Stream() { RL_CUDA(cudaStreamCreateWithFlags(&s_, cudaStreamNonBlocking)); }
  ~Stream() { cudaStreamDestroy(s_); }
  Stream(const Stream&) = delete;
  Stream& operator=(const Stream&) = delete;
  cudaStream_t get() const { return s_; }
  void Sync() const { RL_CUDA(cudaStreamSynchronize(s_)); }

 private:
  cudaStream_t s_ = nullptr;
};

class Event {
 public:
  Event() { RL_CUDA(cudaEventCreateWithFlags(&e_, cudaEventDisableTiming)); }
  ~Event() { cudaEventDestroy(e_); }
  Event(const Event&) = delete;
  Event& operator=(const Event&) = delete;
  cudaEvent_t get() const { return e_; }

 private:
  cudaEvent_t e_ = nullptr;
};

inline int GridFor(long long n, int threads, int maxBlocks = 65535) {
  long long b = (n + threads - 1) / threads;
  if (b < 1) b = 1;
  return static_cast<int>(b < maxBlocks ? b : maxBlocks);
}

}  // namespace cuda
}  // namespace realabel
