// Pair pooling on the GPU; see pool_cuda.h and pool_core.cc (same encoding,
// same groups, same planes).
#include <cuda_runtime.h>

#include <algorithm>
#include <cub/device/device_radix_sort.cuh>
#include <cub/device/device_select.cuh>
#include <string>
#include <thrust/iterator/counting_iterator.h>
#include <vector>

#include "pool_cuda.h"
#include "util.cuh"

namespace realabel {
namespace cuda {

namespace {

constexpr int kThreads = 256;

int BitsFor(uint64_t maxValue) {
  int b = 0;
  while (b < 64 && (maxValue >> b) != 0) ++b;
  return b;
}

// Encodes source pairs; the smallest bad pair index goes to *bad.
__global__ void EncodeSources(const int* srcImage, const int* srcLabel, const int* offsets, int sources, long long pairs,
                              long long n, long long c, int tagBits, unsigned long long* keys,
                              unsigned long long* bad) {
  for (long long j = blockIdx.x * static_cast<long long>(blockDim.x) + threadIdx.x; j < pairs;
       j += static_cast<long long>(gridDim.x) * blockDim.x) {
    int lo = 0, hi = sources - 1;  // the source s with offsets[s] <= j < offsets[s + 1]
    while (lo < hi) {
      const int mid = (lo + hi + 1) / 2;
      if (offsets[mid] <= j) lo = mid;
      else hi = mid - 1;
    }
    while (lo + 1 < sources && offsets[lo + 1] <= j) ++lo;  // skip empty sources
    const int im = srcImage[j], lb = srcLabel[j];
    if (im < 0 || im >= n || lb < 0 || lb >= c) {
      atomicMin(bad, static_cast<unsigned long long>(j));
      keys[j] = 0;
      continue;
    }
    keys[j] = (static_cast<unsigned long long>(im) * c + lb) << tagBits | static_cast<unsigned long long>(lo);
  }
}

// Encodes forced rows (forced[f * n + i]); repeated labels of an image stay
// (the group scan ignores a repeated tag). Bad entries report i * rows + f.
__global__ void EncodeForced(const int* forced, long long rows, long long n, long long c, int tagBits,
                             unsigned long long tag, unsigned long long* keys, unsigned long long* bad) {
  for (long long id = blockIdx.x * static_cast<long long>(blockDim.x) + threadIdx.x; id < rows * n;
       id += static_cast<long long>(gridDim.x) * blockDim.x) {
    const long long f = id / n, i = id % n;
    const int lb = forced[id];
    if (lb < 0 || lb >= c) {
      atomicMin(bad, static_cast<unsigned long long>(i * rows + f));
      keys[id] = 0;
      continue;
    }
    keys[id] = (static_cast<unsigned long long>(i) * c + lb) << tagBits | tag;
  }
}

__global__ void HeadFlags(const unsigned long long* keys, long long N, int tagBits, char* flag) {
  for (long long i = blockIdx.x * static_cast<long long>(blockDim.x) + threadIdx.x; i < N;
       i += static_cast<long long>(gridDim.x) * blockDim.x) {
    flag[i] = i == 0 || (keys[i] >> tagBits) != (keys[i - 1] >> tagBits);
  }
}

// pool_core.cc's Inspect: distinct non-forced tags, and whether forced.
__global__ void KeepFlags(const unsigned long long* keys, const int* heads, int groups, int tagBits,
                          unsigned long long forcedTag, long long minVotes, int* votes, char* keep) {
  const int g = blockIdx.x * blockDim.x + threadIdx.x;
  if (g >= groups) return;
  const unsigned long long mask = (1ULL << tagBits) - 1;
  long long v = 0;
  bool forced = false;
  unsigned long long prev = ~0ULL;
  for (int j = heads[g]; j < heads[g + 1]; ++j) {
    const unsigned long long tag = keys[j] & mask;
    if (tag == prev) continue;
    prev = tag;
    if (tag == forcedTag) forced = true;
    else ++v;
  }
  votes[g] = static_cast<int>(v);
  keep[g] = forced || v >= minVotes;
}

// pool_core.cc's Fill for kept pair p: plane of a source = how many earlier
// distinct sources of the group belong to the same model.
__global__ void FillKernel(const unsigned long long* keys, const int* heads, const int* kept, const int* groupVotes,
                           int P, int tagBits, unsigned long long forcedTag, long long c, const int* srcModel,
                           long long words, int* image, int* label, int* votes, unsigned* masks) {
  const int p = blockIdx.x * blockDim.x + threadIdx.x;
  if (p >= P) return;
  const int g = kept[p];
  const int b = heads[g], e = heads[g + 1];
  const unsigned long long mask = (1ULL << tagBits) - 1;
  const unsigned long long flat = keys[b] >> tagBits;
  image[p] = static_cast<int>(flat / c);
  label[p] = static_cast<int>(flat % c);
  votes[p] = groupVotes[g];
  unsigned long long prev = ~0ULL;
  for (int j = b; j < e; ++j) {
    const unsigned long long tag = keys[j] & mask;
    if (tag == prev || tag == forcedTag) continue;
    prev = tag;
    const int m = srcModel[tag];
    long long plane = 0;
    unsigned long long prev2 = ~0ULL;
    for (int i = b; i < j; ++i) {
      const unsigned long long t2 = keys[i] & mask;
      if (t2 == prev2 || t2 == forcedTag) continue;
      prev2 = t2;
      plane += srcModel[t2] == m;
    }
    masks[(plane * P + p) * words + m / 32] |= 1u << (m % 32);
  }
}

template <typename T>
void Upload(DeviceBuffer<T>* d, const T* h, size_t n) {
  d->Reset(n);
  if (n) RL_CUDA(cudaMemcpy(d->get(), h, n * sizeof(T), cudaMemcpyHostToDevice));
}

}  // namespace

struct PoolGpu::Impl {
  DeviceBuffer<int> image, label, votes;
  DeviceBuffer<unsigned> masks;
};

PoolGpu::PoolGpu(const pool::Input& in) : impl_(new Impl) {
  RL_CUDA(cudaSetDevice(0));
  const int tagBits = BitsFor(static_cast<uint64_t>(in.sources));
  std::vector<int64_t> perModel(static_cast<size_t>(in.models), 0);
  for (int64_t s = 0; s < in.sources; ++s) ++perModel[in.srcModel[s]];
  planes_ = static_cast<int>(std::max<int64_t>(1, *std::max_element(perModel.begin(), perModel.end())));
  words_ = (in.models + 31) / 32;
  const long long forcedRows = in.forcedLen / in.n;
  const long long N = in.srcImageLen + forcedRows * in.n;
  if (N > INT32_MAX - 1) throw Error{"pooling on the GPU: more than 2^31 - 2 occurrences"};
  DeviceBuffer<int> srcImage, srcLabel, offsets, srcModel, forced;
  Upload(&srcImage, in.srcImage, static_cast<size_t>(in.srcImageLen));
  Upload(&srcLabel, in.srcLabel, static_cast<size_t>(in.srcLabelLen));
  Upload(&offsets, in.srcOffsets, static_cast<size_t>(in.srcOffsetsLen));
  Upload(&srcModel, in.srcModel, static_cast<size_t>(in.sources));
  Upload(&forced, in.forced, static_cast<size_t>(in.forcedLen));
  DeviceBuffer<unsigned long long> keys(static_cast<size_t>(N) + 1), sorted(static_cast<size_t>(N) + 1), bad(2);
  RL_CUDA(cudaMemset(bad.get(), 0xff, 2 * sizeof(unsigned long long)));
  if (in.srcImageLen > 0) {
    EncodeSources<<<GridFor(in.srcImageLen, kThreads, 4096), kThreads>>>(
        srcImage.get(), srcLabel.get(), offsets.get(), static_cast<int>(in.sources), in.srcImageLen, in.n, in.c, tagBits,
        keys.get(), bad.get());
  }
  if (forcedRows > 0) {
    EncodeForced<<<GridFor(forcedRows * in.n, kThreads, 4096), kThreads>>>(
        forced.get(), forcedRows, in.n, in.c, tagBits, static_cast<unsigned long long>(in.sources),
        keys.get() + in.srcImageLen, bad.get() + 1);
  }
  RL_LAUNCHED("pool encode");
  unsigned long long hbad[2];
  RL_CUDA(cudaMemcpy(hbad, bad.get(), sizeof hbad, cudaMemcpyDeviceToHost));
  if (hbad[0] != ~0ULL) {  // the CPU's message for the first bad pair
    const int64_t j = static_cast<int64_t>(hbad[0]);
    const int64_t s = std::upper_bound(in.srcOffsets, in.srcOffsets + in.sources + 1, j) - in.srcOffsets - 1;
    throw ArgError("source " + std::to_string(s) + ", pair " + std::to_string(j - in.srcOffsets[s]) + ": (image " +
                   std::to_string(in.srcImage[j]) + ", label " + std::to_string(in.srcLabel[j]) + ") is outside [0, " +
                   std::to_string(in.n) + ") x [0, " + std::to_string(in.c) + ")");
  }
  if (hbad[1] != ~0ULL) {
    const int64_t i = static_cast<int64_t>(hbad[1]) / forcedRows, f = static_cast<int64_t>(hbad[1]) % forcedRows;
    throw ArgError("forced row " + std::to_string(f) + ", image " + std::to_string(i) + ": label " +
                   std::to_string(in.forced[f * in.n + i]) + " is outside [0, " + std::to_string(in.c) + ")");
  }
  if (N == 0) return;
  const int endBit = BitsFor(static_cast<uint64_t>(in.n) * in.c - 1) + tagBits;
  size_t sortBytes = 0, selBytes = 0, selBytes2 = 0;
  DeviceBuffer<char> flag(static_cast<size_t>(N)), keep(static_cast<size_t>(N));
  DeviceBuffer<int> heads(static_cast<size_t>(N) + 1), kept(static_cast<size_t>(N)), groupVotes(static_cast<size_t>(N)),
      count(1);
  RL_CUDA(cub::DeviceRadixSort::SortKeys(nullptr, sortBytes, keys.get(), sorted.get(), static_cast<int>(N), 0, endBit));
  RL_CUDA(cub::DeviceSelect::Flagged(nullptr, selBytes, thrust::counting_iterator<int>(0), flag.get(), heads.get(),
                                     count.get(), static_cast<int>(N)));
  RL_CUDA(cub::DeviceSelect::Flagged(nullptr, selBytes2, thrust::counting_iterator<int>(0), keep.get(), kept.get(),
                                     count.get(), static_cast<int>(N)));
  DeviceBuffer<char> temp(std::max({sortBytes, selBytes, selBytes2, size_t{1}}));
  size_t bytes = temp.size();
  RL_CUDA(cub::DeviceRadixSort::SortKeys(temp.get(), bytes, keys.get(), sorted.get(), static_cast<int>(N), 0, endBit));
  HeadFlags<<<GridFor(N, kThreads, 4096), kThreads>>>(sorted.get(), N, tagBits, flag.get());
  RL_LAUNCHED("pool groups");
  bytes = temp.size();
  RL_CUDA(cub::DeviceSelect::Flagged(temp.get(), bytes, thrust::counting_iterator<int>(0), flag.get(), heads.get(),
                                     count.get(), static_cast<int>(N)));
  int groups = 0;
  RL_CUDA(cudaMemcpy(&groups, count.get(), sizeof groups, cudaMemcpyDeviceToHost));
  const int end = static_cast<int>(N);
  RL_CUDA(cudaMemcpy(heads.get() + groups, &end, sizeof end, cudaMemcpyHostToDevice));
  const unsigned long long forcedTag = static_cast<unsigned long long>(in.sources);
  KeepFlags<<<GridFor(groups, kThreads, 1 << 30), kThreads>>>(sorted.get(), heads.get(), groups, tagBits, forcedTag,
                                                              in.minVotes, groupVotes.get(), keep.get());
  RL_LAUNCHED("pool votes");
  bytes = temp.size();
  RL_CUDA(cub::DeviceSelect::Flagged(temp.get(), bytes, thrust::counting_iterator<int>(0), keep.get(), kept.get(),
                                     count.get(), groups));
  int P = 0;
  RL_CUDA(cudaMemcpy(&P, count.get(), sizeof P, cudaMemcpyDeviceToHost));
  pairs_ = static_cast<size_t>(P);
  if (P == 0) return;
  impl_->image.Reset(P);
  impl_->label.Reset(P);
  impl_->votes.Reset(P);
  const size_t maskWords = static_cast<size_t>(P) * static_cast<size_t>(words_) * planes_;
  impl_->masks.Reset(maskWords);
  RL_CUDA(cudaMemset(impl_->masks.get(), 0, maskWords * sizeof(unsigned)));
  FillKernel<<<GridFor(P, kThreads, 1 << 30), kThreads>>>(sorted.get(), heads.get(), kept.get(), groupVotes.get(), P,
                                                          tagBits, forcedTag, in.c, srcModel.get(), words_,
                                                          impl_->image.get(), impl_->label.get(), impl_->votes.get(),
                                                          impl_->masks.get());
  RL_LAUNCHED("pool fill");
  RL_CUDA(cudaDeviceSynchronize());
}

PoolGpu::~PoolGpu() = default;

void PoolGpu::Fill(int32_t* image, int32_t* label, int32_t* votes, uint32_t* masks) const {
  if (pairs_ == 0) return;
  RL_CUDA(cudaMemcpy(image, impl_->image.get(), pairs_ * sizeof(int32_t), cudaMemcpyDeviceToHost));
  RL_CUDA(cudaMemcpy(label, impl_->label.get(), pairs_ * sizeof(int32_t), cudaMemcpyDeviceToHost));
  RL_CUDA(cudaMemcpy(votes, impl_->votes.get(), pairs_ * sizeof(int32_t), cudaMemcpyDeviceToHost));
  RL_CUDA(cudaMemcpy(masks, impl_->masks.get(), impl_->masks.size() * sizeof(uint32_t), cudaMemcpyDeviceToHost));
}

}  // namespace cuda
}  // namespace realabel
