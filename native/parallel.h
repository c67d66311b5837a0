// The one threading helper of the kernels: static blocks (ParallelBlocks), a
// team of threads that meet at a Barrier (RunTeam, for EM's phases), and
// cooperative cancellation (AbortScope / CheckAbort).
//
// Determinism: kernels split [0, n) into a block count that never depends on
// the thread count and combine per-block results in block order, so the
// output never depends on threads.
#pragma once
#include <algorithm>
#include <atomic>
#include <condition_variable>
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

// ---- Cancellation ---------------------------------------------------------
// An async call (kernel.h) passes an abort flag: an int32 in a JS typed array
// that the TS side sets when its AbortSignal fires. The kernel polls it
// between blocks; a thread-local pointer carries it to every thread of the
// run, so the cores take no extra parameter and the fuzz entries and sync
// calls (no flag) never abort.

// Thrown by CheckAbort; the async worker turns it into an E_ABORTED rejection.
struct Aborted {};

inline const int32_t*& CurrentAbortFlag() {
  thread_local const int32_t* flag = nullptr;
  return flag;
}

// Installs `flag` as this thread's abort flag for the scope.
class AbortScope {
 public:
  explicit AbortScope(const int32_t* flag) : prev_(CurrentAbortFlag()) { CurrentAbortFlag() = flag; }
  ~AbortScope() { CurrentAbortFlag() = prev_; }
  AbortScope(const AbortScope&) = delete;
  AbortScope& operator=(const AbortScope&) = delete;

 private:
  const int32_t* prev_;
};

inline bool AbortRequested() {
  const int32_t* flag = CurrentAbortFlag();
  // Written by the JS thread (Atomics.store); read with an atomic load.
  return flag != nullptr && __atomic_load_n(flag, __ATOMIC_RELAXED) != 0;
}

inline void CheckAbort() {
  if (AbortRequested()) throw Aborted{};
}

// ---- Static blocks ----------------------------------------------------------

// Calls fn(block, begin, end) for `blocks` contiguous blocks of [0, n) on up to
// `threads` threads, checking for an abort before each block. Exceptions
// thrown by fn are rethrown on the caller.
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
      CheckAbort();
      int64_t s, e;
      range(b, &s, &e);
      fn(b, s, e);
    }
    return;
  }
  const int32_t* flag = CurrentAbortFlag();
  std::exception_ptr error;
  std::mutex mu;
  std::vector<std::thread> pool;
  pool.reserve(threads);
  for (int t = 0; t < threads; ++t) {
    pool.emplace_back([&, t] {
      AbortScope scope(flag);
      for (int b = t; b < blocks; b += threads) {
        int64_t s, e;
        range(b, &s, &e);
        try {
          CheckAbort();
          fn(b, s, e);
        } catch (...) {
          std::lock_guard<std::mutex> lock(mu);
          if (!error) error = std::current_exception();
          return;
        }
      }
    });
  }
  for (auto& th : pool) th.join();
  if (error) std::rethrow_exception(error);
}

// ---- Teams and barriers --------------------------------------------------------

// A reusable barrier whose last arriving thread runs `completion` before the
// others are released (like C++20 std::barrier). Waiters spin briefly (an EM
// phase takes well under a millisecond) before sleeping on the condvar.
class Barrier {
 public:
  explicit Barrier(int n) : n_(n) {}
  template <typename F>
  void Arrive(F&& completion) {
    const uint64_t gen = gen_.load(std::memory_order_acquire);
    if (count_.fetch_add(1, std::memory_order_acq_rel) + 1 == n_) {
      completion();
      count_.store(0, std::memory_order_relaxed);
      {
        std::lock_guard<std::mutex> lock(mu_);
        gen_.store(gen + 1, std::memory_order_release);
      }
      cv_.notify_all();
      return;
    }
    for (int i = 0; i < 2000; ++i) {
      if (gen_.load(std::memory_order_acquire) != gen) return;
      std::this_thread::yield();
    }
    std::unique_lock<std::mutex> lock(mu_);
    cv_.wait(lock, [&] { return gen_.load(std::memory_order_acquire) != gen; });
  }

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  const int n_;
  std::atomic<int> count_{0};
  std::atomic<uint64_t> gen_{0};
};

// Runs body(tid) on `threads` threads (the caller is tid 0), each with the
// caller's abort flag. body must not throw (a team meets at barriers: one
// thread leaving early would leave the others waiting); it polls
// AbortRequested() at a point every thread reaches instead.
template <typename F>
void RunTeam(int threads, F&& body) {
  const int32_t* flag = CurrentAbortFlag();
  std::vector<std::thread> pool;
  pool.reserve(threads - 1);
  for (int t = 1; t < threads; ++t) {
    pool.emplace_back([&body, t, flag] {
      AbortScope scope(flag);
      body(t);
    });
  }
  body(0);
  for (auto& th : pool) th.join();
}

}  // namespace realabel
