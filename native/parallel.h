// Static partition of [0, n) into contiguous blocks, one per thread. Kernels
// combine per-block results in block order, so the output never depends on
// the thread count.
#pragma once
#include <algorithm>
#include <cstdint>
#include <exception>
#include <mutex>
#include <thread>
#include <vector>

namespace realabel {

inline int ResolveThreads(int requested) {
  if (requested > 0) return requested;
  unsigned hw = std::thread::hardware_concurrency();
  return hw == 0 ? 1 : static_cast<int>(hw);
}

// Calls fn(block, begin, end) for `blocks` contiguous blocks of [0, n) on up to
// `threads` threads. Exceptions thrown by fn are rethrown on the caller.
template <typename Fn>
void ParallelBlocks(int64_t n, int blocks, int threads, Fn&& fn) {
  if (blocks < 1) blocks = 1;
  auto range = [&](int b, int64_t* begin, int64_t* end) {
    *begin = n * b / blocks;
    *end = n * (b + 1) / blocks;
  };
  threads = std::max(1, std::min(threads, blocks));
  if (threads == 1) {
    for (int b = 0; b < blocks; ++b) {
      int64_t s, e;
      range(b, &s, &e);
      fn(b, s, e);
    }
    return;
  }
  std::exception_ptr error;
  std::mutex mu;
  std::vector<std::thread> pool;
  pool.reserve(threads);
  for (int t = 0; t < threads; ++t) {
    pool.emplace_back([&, t] {
      for (int b = t; b < blocks; b += threads) {
        int64_t s, e;
        range(b, &s, &e);
        try {
          fn(b, s, e);
        } catch (...) {
          std::lock_guard<std::mutex> lock(mu);
          if (!error) error = std::current_exception();
        }
      }
    });
  }
  for (auto& th : pool) th.join();
  if (error) std::rethrow_exception(error);
}

}  // namespace realabel
