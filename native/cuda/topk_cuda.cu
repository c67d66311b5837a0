// Exact top-K on the GPU; see topk_cuda.h.
#include <stdexcept>
#include <cuda_runtime.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstring>
#include <cub/device/device_select.cuh>
#include <string>
#include <thrust/iterator/counting_iterator.h>

#include "../parallel.h"
#include "../topk_rows.h"
#include "topk_cuda.h"
#include "topk_math.cuh"
#include "util.cuh"

namespace realabel {
namespace cuda {

namespace {

using topk::Cand;
namespace gm = cudamath;

constexpr int kThreads = 256;
constexpr int64_t kDefaultBlockValues = int64_t{1} << 26;  // 256 MB of float32 per staged block

// Keys mapped to unsigned integers in the same order (keys are finite, never
// -0); 0 is below every key, so it stands for "no threshold yet".
RL_HD uint64_t OrderKey(double key) {
  const uint64_t u = gm::Bits(key);
  return (u >> 63) ? ~u : (u | (uint64_t{1} << 63));
}

// The selector's key of local value i of a block: x - lse(row) + 0.0, as
// topk_select.cc computes it (lse = 0 for the logit criterion).
template <typename T>
struct KeyOf {
  const T* x;
  const double* lse;  // null for logit
  long long c;
  // A block holds fewer than 2^31 values (TopkGpu caps it), so the row
  // is a 32-bit division, several times cheaper than a 64-bit one.
  __device__ __forceinline__ double Key(long long i) const {
    const double l = lse ? lse[static_cast<unsigned>(i) / static_cast<unsigned>(c)] : 0.0;
    return (static_cast<double>(x[i]) - l) + 0.0;
  }
  __device__ __forceinline__ uint64_t Order(long long i) const { return OrderKey(Key(i)); }
};

template <typename T>
__device__ __forceinline__ bool IsFinite(T v) {
  return isfinite(v);
}

template <typename T>
__global__ void FirstBadKernel(const T* x, long long n, unsigned long long* bad) {
  for (long long i = blockIdx.x * static_cast<long long>(blockDim.x) + threadIdx.x; i < n;
       i += static_cast<long long>(gridDim.x) * blockDim.x) {
    if (!IsFinite(x[i])) atomicMin(bad, static_cast<unsigned long long>(i));
  }
}

// Eight threads per row: lane l accumulates the exps of columns l, l + 8, ...
// in order, exactly like acc[l] of topk_math::LseScalar; lane 0 combines.
template <typename T>
__global__ void LseKernel(const T* x, long long rows, long long c, double* lse) {
  const long long t = blockIdx.x * static_cast<long long>(blockDim.x) + threadIdx.x;
  const long long row = t / gm::kLanes;
  const int lane = static_cast<int>(t % gm::kLanes);
  const bool active = row < rows;
  const long long cc = active ? c : 0;
  const T* r = x + (active ? row : 0) * c;
  T m = lane < cc ? r[lane] : r[0];
  for (long long j = lane + gm::kLanes; j < cc; j += gm::kLanes) m = r[j] > m ? r[j] : m;
  for (int off = gm::kLanes / 2; off > 0; off /= 2) {
    const T o = __shfl_xor_sync(0xffffffffu, m, off, gm::kLanes);
    m = o > m ? o : m;
  }
  const double md = static_cast<double>(m);
  const double s = gm::LaneSum(r, cc, md, lane);
  double acc[gm::kLanes];
  for (int l = 0; l < gm::kLanes; ++l) acc[l] = __shfl_sync(0xffffffffu, s, l, gm::kLanes);
  if (active && lane == 0) lse[row] = md + gm::LogAtLeastOne(gm::CombineLanes(acc));
}

// Histogram of digit (u >> shift) & 255 over the keys u > floor whose bits
// above the digit equal prefix.
template <typename T>
__global__ void HistKernel(KeyOf<T> key, long long n, uint64_t floor, uint64_t prefix, uint64_t highMask, int shift,
                           unsigned* hist) {
  __shared__ unsigned h[256];
  for (int i = threadIdx.x; i < 256; i += blockDim.x) h[i] = 0;
  __syncthreads();
  // Most keys share a few digits (their exponent), so lanes with the same
  // digit add once per warp (__match_any_sync); every lane of a warp runs the
  // same iterations (blockDim is a multiple of 32), as the match needs.
  const int lane = threadIdx.x & 31;
  for (long long base = blockIdx.x * static_cast<long long>(blockDim.x); base < n;
       base += static_cast<long long>(gridDim.x) * blockDim.x) {
    const long long i = base + threadIdx.x;
    int bin = -1;
    if (i < n) {
      const uint64_t u = key.Order(i);
      if (u > floor && (u & highMask) == prefix) bin = static_cast<int>((u >> shift) & 255);
    }
    const unsigned same = __match_any_sync(0xffffffffu, bin);
    if (bin >= 0 && lane == __ffs(same) - 1) atomicAdd(&h[bin], static_cast<unsigned>(__popc(same)));
  }
  __syncthreads();
  for (int i = threadIdx.x; i < 256; i += blockDim.x) {
    if (h[i]) atomicAdd(&hist[i], h[i]);
  }
}

// Local indices whose key is above (or equal to) a mapped key.
template <typename T>
struct Above {
  KeyOf<T> key;
  uint64_t v;
  bool equal;
  __device__ __forceinline__ bool operator()(int i) const {
    const uint64_t u = key.Order(i);
    return equal ? u == v : u > v;
  }
};

template <typename T>
__global__ void GatherKernel(KeyOf<T> key, const int* sel, long long count, long long firstFlat, Cand* out) {
  for (long long j = blockIdx.x * static_cast<long long>(blockDim.x) + threadIdx.x; j < count;
       j += static_cast<long long>(gridDim.x) * blockDim.x) {
    const int i = sel[j];
    out[j] = Cand{key.Key(i), firstFlat + i};
  }
}

std::string NonFiniteName(double v) {
  if (std::isnan(v)) return "NaN";
  return v > 0 ? "Infinity" : "-Infinity";
}

double Seconds(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

}  // namespace

struct TopkGpu::Impl {
  int64_t block_values = 0;  // values per row block
  Stream compute, copy;
  DeviceBuffer<char> rows[2];
  PinnedBuffer staged[2];
  Event copied[2], used[2];
  DeviceBuffer<double> lse;
  DeviceBuffer<unsigned long long> bad;
  DeviceBuffer<unsigned> hist;
  DeviceBuffer<int> sel, nsel;
  DeviceBuffer<Cand> cand;
  DeviceBuffer<char> temp;
  size_t temp_bytes = 0;
};

TopkGpu::TopkGpu(int64_t c, int64_t k, topk::Criterion criterion, int64_t maxBlockValues)
    : c_(c), k_(k), cap_(std::max<int64_t>(2 * k, 1024)), criterion_(criterion), impl_(new Impl) {
  RL_CUDA(cudaSetDevice(0));
  int64_t values = maxBlockValues > 0 ? maxBlockValues : kDefaultBlockValues;
  if (maxBlockValues <= 0) {
    size_t freeBytes = 0, total = 0;
    RL_CUDA(cudaMemGetInfo(&freeBytes, &total));
    // Two double-typed row buffers, the selection indices and slack for CUB.
    values = std::min<int64_t>(values, static_cast<int64_t>(freeBytes / 2 / (2 * sizeof(double) + sizeof(int))));
  }
  values = std::min<int64_t>(values, int64_t{1} << 30);  // local indices are int32
  impl_->block_values = std::max<int64_t>(values, c);      // at least one row
  const int64_t rowsPerBlock = impl_->block_values / c;
  impl_->block_values = rowsPerBlock * c;
  impl_->lse.Reset(static_cast<size_t>(rowsPerBlock));
  impl_->bad.Reset(1);
  impl_->hist.Reset(256);
  impl_->sel.Reset(static_cast<size_t>(impl_->block_values));
  impl_->nsel.Reset(1);
  impl_->cand.Reset(static_cast<size_t>(std::min<int64_t>(k, impl_->block_values)));
  Above<float> pred{};
  RL_CUDA(cub::DeviceSelect::If(nullptr, impl_->temp_bytes, thrust::counting_iterator<int>(0), impl_->sel.get(),
                                impl_->nsel.get(), static_cast<int>(impl_->block_values), pred));
  size_t bytesF64 = 0;
  Above<double> pred64{};
  RL_CUDA(cub::DeviceSelect::If(nullptr, bytesF64, thrust::counting_iterator<int>(0), impl_->sel.get(),
                                impl_->nsel.get(), static_cast<int>(impl_->block_values), pred64));
  impl_->temp_bytes = std::max(impl_->temp_bytes, bytesF64);
  impl_->temp.Reset(impl_->temp_bytes);
}

TopkGpu::~TopkGpu() = default;

namespace {

// Row max and lse of one finite row (false when it is not), by the CPU core.
bool HostRowLse(const float* x, int64_t c, double* lse) {
  int64_t bad = -1;
  float min;
  const auto isa = topk_rows::BestIsa();
  const double m = topk_rows::MaxF32(isa, x, c, &bad, &min);
  if (bad >= 0) return false;
  *lse = topk_rows::LseF32(isa, x, c, m, min);
  return true;
}
bool HostRowLse(const double* x, int64_t c, double* lse) {
  int64_t bad = -1;
  const double m = topk_rows::MaxF64(x, c, &bad);
  if (bad >= 0) return false;
  *lse = topk_rows::LseF64(topk_rows::BestIsa(), x, c, m);
  return true;
}

}  // namespace

// topk_select.cc's SampleThreshold: the rank-th key of evenly spaced sample
// rows, with rank a safe margin above the expected share of the top K.
// Returns the floor "key >= tau" as a mapped key.
template <typename T>
bool TopkGpu::SampleFloor(const std::function<void(int64_t, T*)>& row, int64_t nRows, uint64_t* floor) const {
  const double p = static_cast<double>(k_) / (static_cast<double>(nRows) * static_cast<double>(c_));
  if (p > 0.25) return false;
  const int64_t sRows = static_cast<int64_t>(std::ceil(512 / p / static_cast<double>(c_)));
  if (sRows * 8 > nRows) return false;
  std::vector<T> x(static_cast<size_t>(c_));
  std::vector<double> keys;
  keys.reserve(static_cast<size_t>(sRows * c_));
  for (int64_t i = 0; i < sRows; ++i) {
    const int64_t r = static_cast<int64_t>((static_cast<double>(i) + 0.5) * static_cast<double>(nRows) / sRows);
    row(std::min(r, nRows - 1), x.data());
    double lse = 0;
    bool finite = true;
    if (criterion_ == topk::kProb) {
      finite = HostRowLse(x.data(), c_, &lse);
    } else {
      for (int64_t j = 0; j < c_ && finite; ++j) finite = std::isfinite(x[j]);
    }
    if (!finite) continue;  // the main pass reports it
    for (int64_t j = 0; j < c_; ++j) keys.push_back((static_cast<double>(x[j]) - lse) + 0.0);
  }
  const double expected = p * static_cast<double>(keys.size());
  const int64_t rank = static_cast<int64_t>(std::ceil(expected * 1.15 + 4 * std::sqrt(expected) + 16));
  if (rank >= static_cast<int64_t>(keys.size())) return false;
  *floor = OrderKey(topk::KthLargest(&keys, rank)) - 1;  // u > floor: key >= tau
  return true;
}

// Runs run(floor) with a sampled floor on a first push that spans several
// blocks; every candidate then has key >= tau, so K of them prove that the
// top K all do. Otherwise the push is redone from scratch without it.
template <typename T, typename Run>
void TopkGpu::Sampled(const std::function<void(int64_t, T*)>& row, int64_t nRows, Run&& run) {
  uint64_t floor = 0;
  const bool sampled = rows_seen_ == 0 && buffer_.empty() && nRows * c_ > impl_->block_values &&
                       SampleFloor<T>(row, nRows, &floor);
  run(floor);
  if (!sampled) return;
  ++sampled_;
  if (static_cast<int64_t>(buffer_.size()) >= k_) return;
  ++fallbacks_;
  buffer_.clear();
  have_theta_ = false;
  rows_seen_ = 0;
  run(0);
}

template <typename T>
void TopkGpu::Push(const T* host, int64_t nRows) {
  if (nRows <= 0) return;
  Sampled<T>([&](int64_t r, T* dst) { std::memcpy(dst, host + r * c_, static_cast<size_t>(c_) * sizeof(T)); }, nRows,
             [&](uint64_t floor) { HostBlocks(host, nRows, floor); });
}

template <typename T>
void TopkGpu::PushDevice(const T* device, int64_t nRows) {
  if (nRows <= 0) return;
  Sampled<T>(
      [&](int64_t r, T* dst) {
        RL_CUDA(cudaMemcpy(dst, device + r * c_, static_cast<size_t>(c_) * sizeof(T), cudaMemcpyDeviceToHost));
      },
      nRows, [&](uint64_t floor) { DeviceBlocks(device, nRows, floor); });
}

template <typename T>
void TopkGpu::HostBlocks(const T* host, int64_t nRows, uint64_t floor) {
  Impl& m = *impl_;
  const int64_t R = m.block_values / c_;
  const size_t blockBytes = static_cast<size_t>(R * c_) * sizeof(T);
  for (int s = 0; s < 2; ++s) {
    m.rows[s].Reserve(blockBytes);
    m.staged[s].Reserve(blockBytes);
  }
  const int64_t blocks = (nRows + R - 1) / R;
  // Copies block b into slot b % 2: host -> pinned (after the slot's previous
  // transfer finished), pinned -> GPU on the copy stream (after the slot's
  // previous block was consumed).
  auto stage = [&](int64_t b) {
    const auto t0 = std::chrono::steady_clock::now();
    const int s = static_cast<int>(b % 2);
    const int64_t r0 = b * R, nr = std::min(R, nRows - r0);
    const size_t bytes = static_cast<size_t>(nr * c_) * sizeof(T);
    RL_CUDA(cudaEventSynchronize(m.copied[s].get()));
    // Pageable -> pinned on every core: one thread copies at a fraction of memory speed.
    const char* src = reinterpret_cast<const char*>(host + r0 * c_);
    char* dst = static_cast<char*>(m.staged[s].get());
    ParallelBlocks(static_cast<int64_t>(bytes), 16, ResolveThreads(0),
                   [&](int, int64_t b0, int64_t b1) { std::memcpy(dst + b0, src + b0, static_cast<size_t>(b1 - b0)); });
    RL_CUDA(cudaStreamWaitEvent(m.copy.get(), m.used[s].get(), 0));
    RL_CUDA(cudaMemcpyAsync(m.rows[s].get(), m.staged[s].get(), bytes, cudaMemcpyHostToDevice, m.copy.get()));
    RL_CUDA(cudaEventRecord(m.copied[s].get(), m.copy.get()));
    copy_seconds_ += Seconds(t0);
  };
  stage(0);
  for (int64_t b = 0; b < blocks; ++b) {
    const int s = static_cast<int>(b % 2);
    const int64_t nr = std::min(R, nRows - b * R);
    RL_CUDA(cudaStreamWaitEvent(m.compute.get(), m.copied[s].get(), 0));
    Block(reinterpret_cast<const T*>(m.rows[s].get()), nr, floor, [&] {
      if (b + 1 < blocks) stage(b + 1);
    });
    RL_CUDA(cudaEventRecord(m.used[s].get(), m.compute.get()));
  }
}

template <typename T>
void TopkGpu::DeviceBlocks(const T* device, int64_t nRows, uint64_t floor) {
  const int64_t R = impl_->block_values / c_;
  for (int64_t r0 = 0; r0 < nRows; r0 += R) Block(device + r0 * c_, std::min(R, nRows - r0), floor, [] {});
}

template <typename T>
void TopkGpu::Block(const T* x, int64_t nRows, uint64_t sampleFloor, const std::function<void()>& whileBusy) {
  CheckAbort();
  Impl& m = *impl_;
  cudaStream_t st = m.compute.get();
  const long long n = nRows * c_;
  const int grid = GridFor(n, kThreads, 4096);
  RL_CUDA(cudaMemsetAsync(m.bad.get(), 0xff, sizeof(unsigned long long), st));
  FirstBadKernel<T><<<grid, kThreads, 0, st>>>(x, n, m.bad.get());
  RL_LAUNCHED("top-K non-finite check");
  KeyOf<T> key{x, nullptr, c_};
  if (criterion_ == topk::kProb) {
    LseKernel<T><<<GridFor(nRows * gm::kLanes, kThreads, 1 << 30), kThreads, 0, st>>>(x, nRows, c_, m.lse.get());
    RL_LAUNCHED("top-K log-sum-exp");
    key.lse = m.lse.get();
  }
  const uint64_t floor = std::max(have_theta_ ? OrderKey(theta_) : 0, sampleFloor);
  unsigned h[256];
  auto hist = [&](uint64_t prefix, uint64_t highMask, int shift) {
    RL_CUDA(cudaMemsetAsync(m.hist.get(), 0, 256 * sizeof(unsigned), st));
    HistKernel<T><<<grid, kThreads, 0, st>>>(key, n, floor, prefix, highMask, shift, m.hist.get());
    RL_LAUNCHED("top-K histogram");
  };
  auto fetchHist = [&] {
    RL_CUDA(cudaMemcpyAsync(h, m.hist.get(), sizeof h, cudaMemcpyDeviceToHost, st));
    RL_CUDA(cudaStreamSynchronize(st));
  };
  hist(0, 0, 56);
  whileBusy();  // the next block's copy overlaps this block's passes
  unsigned long long bad = 0;
  RL_CUDA(cudaMemcpyAsync(&bad, m.bad.get(), sizeof bad, cudaMemcpyDeviceToHost, st));
  fetchHist();
  if (bad != ~0ULL) {
    T v;
    RL_CUDA(cudaMemcpy(&v, x + bad, sizeof v, cudaMemcpyDeviceToHost));
    const long long row = static_cast<long long>(bad) / c_, col = static_cast<long long>(bad) % c_;
    throw DataError("E_NOT_FINITE",
                    "row " + std::to_string(rows_seen_ + row) + ", column " + std::to_string(col) + " is " +
                        NonFiniteName(static_cast<double>(v)) + "; top-K needs finite logits",
                    rows_seen_ + row, col, static_cast<double>(v));
  }
  int64_t total = 0;
  for (unsigned v : h) total += v;
  // Keys above the floor: all of them when at most K, else the K best (the
  // radix select finds the K-th, v; the block keeps every key > v and the
  // first `need` keys == v in index order).
  uint64_t v = floor;
  int64_t need = 0;
  if (total > k_) {
    int64_t rank = k_;
    uint64_t prefix = 0;
    for (int shift = 56;; shift -= 8) {
      int digit = 255;
      while (static_cast<int64_t>(h[digit]) < rank) rank -= h[digit--];
      prefix |= static_cast<uint64_t>(digit) << shift;
      if (shift == 0) break;
      hist(prefix, ~uint64_t{0} << shift, shift - 8);
      fetchHist();
    }
    v = prefix;
    need = rank;
  }
  auto select = [&](bool equal, int offset) -> int64_t {
    size_t bytes = m.temp_bytes;
    Above<T> pred{key, v, equal};
    RL_CUDA(cub::DeviceSelect::If(m.temp.get(), bytes, thrust::counting_iterator<int>(0), m.sel.get() + offset,
                                  m.nsel.get(), static_cast<int>(n), pred, st));
    int count = 0;
    RL_CUDA(cudaMemcpyAsync(&count, m.nsel.get(), sizeof count, cudaMemcpyDeviceToHost, st));
    RL_CUDA(cudaStreamSynchronize(st));
    return count;
  };
  const int64_t greater = select(false, 0);
  if (need > 0 && select(true, static_cast<int>(greater)) < need) throw Error{"top-K: radix select lost keys (internal error)"};
  const int64_t keep = greater + need;
  std::vector<Cand> got(static_cast<size_t>(keep));
  if (keep > 0) {
    GatherKernel<T><<<GridFor(keep, kThreads, 4096), kThreads, 0, st>>>(key, m.sel.get(), keep, rows_seen_ * c_,
                                                                          m.cand.get());
    RL_LAUNCHED("top-K gather");
    RL_CUDA(cudaMemcpyAsync(got.data(), m.cand.get(), keep * sizeof(Cand), cudaMemcpyDeviceToHost, st));
    RL_CUDA(cudaStreamSynchronize(st));
  }
  std::vector<Cand> equal(got.begin() + greater, got.end());
  got.resize(static_cast<size_t>(greater));
  Merge(&got, &equal);
  rows_seen_ += nRows;
}

// Appends a block's candidates (two runs in index order) in index order, and
// tightens the threshold to the K-th best key seen so far: a later value
// equal to it has a higher index, so only keys strictly above it can enter.
void TopkGpu::Merge(std::vector<Cand>* greater, std::vector<Cand>* equal) {
  const size_t old = buffer_.size();
  buffer_.resize(old + greater->size() + equal->size());
  std::merge(greater->begin(), greater->end(), equal->begin(), equal->end(), buffer_.begin() + old,
             [](const Cand& a, const Cand& b) { return a.idx < b.idx; });
  const int64_t size = static_cast<int64_t>(buffer_.size());
  if (size >= k_ && (size > k_ || !have_theta_)) {
    theta_ = topk::CompactTop(&buffer_, k_);
    have_theta_ = true;
  }
}

const std::vector<Cand>& TopkGpu::Finish() {
  const int64_t total = rows_seen_ * c_;
  if (k_ > total) {
    throw ArgError("k = " + std::to_string(k_) + " is out of range [1, " + std::to_string(total) + "]");
  }
  if (static_cast<int64_t>(buffer_.size()) < k_) throw std::logic_error("internal error: fewer candidates than k");
  topk::SortDescending(&buffer_, ResolveThreads(0));
  buffer_.resize(static_cast<size_t>(k_));
  return buffer_;
}

void TopkGpu::Values(const std::vector<Cand>& best, float* out) const {
  const size_t n = best.size();
  if (criterion_ == topk::kLogit) {
    for (size_t i = 0; i < n; ++i) out[i] = static_cast<float>(best[i].key);
    return;
  }
  // The reported probabilities come from the CPU core's own exp, so they
  // match the CPU backend bit for bit.
  std::vector<double> keys(n);
  for (size_t i = 0; i < n; ++i) keys[i] = best[i].key;
  topk_rows::ExpToFloat(topk_rows::BestIsa(), keys.data(), static_cast<int64_t>(n), out);
}

template void TopkGpu::Push<float>(const float*, int64_t);
template void TopkGpu::Push<double>(const double*, int64_t);
template void TopkGpu::PushDevice<float>(const float*, int64_t);
template void TopkGpu::PushDevice<double>(const double*, int64_t);

}  // namespace cuda
}  // namespace realabel
