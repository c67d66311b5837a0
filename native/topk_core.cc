// Top-K selection with threshold filtering; see topk_core.h.
//
// Each chunk of rows is split into a fixed number of row blocks. A block keeps
// the entries whose key passes its bound (most are rejected by one vector
// compare per value) and, when it holds 2K of them, compacts to its K best and
// raises its bound to the K-th key. The first large chunk starts from a bound
// estimated on a sample of rows; the estimate is only used once it is proven
// safe (at least K keys reach it), otherwise the chunk is redone without it.
#include "topk_core.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <stdexcept>

#include "parallel.h"
#include "topk_math.h"

namespace realabel {
namespace topk {

namespace {

constexpr int kBlocks = 16;        // fixed, so the work split never depends on threads
// Chunks smaller than this run on one thread: a 4 MB chunk selects in about
// a millisecond, and starting and joining threads for each of a stream's
// chunks cost more than they saved (under load, each join waits for a core:
// a 200 MB stream of 4 MB chunks took 230-285 ms on 2 threads against 75-100
// on one). A file reader overlaps reading with selection instead.
constexpr int64_t kMinParallelValues = INT64_C(1) << 22;
constexpr double kSampleHits = 512;  // expected top-K entries in the threshold sample

std::string NonFiniteName(double v) {
  if (std::isnan(v)) return "NaN";
  return v > 0 ? "Infinity" : "-Infinity";
}

// The smallest row value worth an exact key test under bound b: every x with
// x - lse passing b is >= the returned value (a margin covers rounding).
double ProbLowerX(const Bound& b, double lse) {
  if (std::isinf(b.value)) return b.value;
  double sum = b.value + lse;
  double margin = (std::fabs(sum) + std::fabs(b.value) + std::fabs(lse)) * 1e-12 + 1e-300;
  return sum - margin;
}

// Largest float <= x (x may exceed the float range).
float FloatAtMost(double x) {
  const double fmax = std::numeric_limits<float>::max();
  if (x > fmax) return std::numeric_limits<float>::infinity();
  if (x < -fmax) return -std::numeric_limits<float>::infinity();
  float f = static_cast<float>(x);
  if (static_cast<double>(f) > x) f = std::nextafter(f, -std::numeric_limits<float>::infinity());
  return f;
}

template <typename T>
T FilterValue(double x);
template <>
float FilterValue<float>(double x) {
  return FloatAtMost(x);
}
template <>
double FilterValue<double>(double x) {
  return x;
}

int64_t Filter(topk_rows::Isa isa, const float* x, int64_t c, float thr, int32_t* cols, int64_t* bad) {
  return topk_rows::FilterF32(isa, x, c, thr, cols, bad);
}
int64_t Filter(topk_rows::Isa, const double* x, int64_t c, double thr, int32_t* cols, int64_t* bad) {
  return topk_rows::FilterF64(x, c, thr, cols, bad);
}

// Row max and lse; false (with *bad set) when the row is not finite.
bool RowLse(topk_rows::Isa isa, const float* x, int64_t c, int64_t* bad, double* lse) {
  float min;
  double m = topk_rows::MaxF32(isa, x, c, bad, &min);
  if (*bad >= 0) return false;
  *lse = topk_rows::LseF32(isa, x, c, m, min);
  return true;
}
bool RowLse(topk_rows::Isa isa, const double* x, int64_t c, int64_t* bad, double* lse) {
  double m = topk_rows::MaxF64(x, c, bad);
  if (*bad >= 0) return false;
  *lse = topk_rows::LseF64(isa, x, c, m);
  return true;
}

}  // namespace

void CheckSelect(int64_t length, int64_t n, int64_t c, int64_t k, int64_t criterion) {
  CheckRange("n", n, 0, kMaxDim);
  CheckRange("c", c, 1, kMaxDim);
  if (length != n * c) {  // n, c < 2^31: no overflow
    throw ArgError("data has " + std::to_string(length) + " values, expected n * c = " + std::to_string(n * c));
  }
  CheckRange("k", k, 1, n * c);
  CheckRange("criterion", criterion, kLogit, kProb);
}

void CheckStream(int64_t c, int64_t k, int64_t criterion) {
  CheckRange("c", c, 1, kMaxDim);
  CheckRange("k", k, 1, kMaxStreamK);
  CheckRange("criterion", criterion, kLogit, kProb);
}

void CheckPush(int64_t rowsSeen, int64_t c, int64_t nRows, int64_t length) {
  CheckRange("nRows", nRows, 0, kMaxDim - rowsSeen);
  if (length < nRows * c) {
    throw ArgError("rows has " + std::to_string(length) + " values, expected at least nRows * c = " +
                   std::to_string(nRows * c));
  }
}

struct Selector::Block {
  std::vector<Cand> cands;
  std::vector<int32_t> cols;
  OrderScratch scratch;
  Bound bound;
  bool sampled = false;  // bound starts at a sampled (unproven) tau
  double tau = 0;
  int64_t count_ge = 0;  // keys >= tau seen (while not proven)
  bool proven = false;   // this block alone holds K keys >= tau
  int64_t bad_row = -1, bad_col = -1;
  double bad_value = 0;
};

Selector::Selector(int64_t c, int64_t k, Criterion criterion, int threads, topk_rows::Isa isa, int64_t expected_rows)
    : c_(c), k_(k), cap_(std::max<int64_t>(2 * k, 1024)), criterion_(criterion), threads_(ResolveThreads(threads)), isa_(isa),
      expected_rows_(expected_rows) {}

Selector::~Selector() = default;

void Selector::Keep(Block* b, double key, int64_t idx) const {
  if (b->sampled && !b->proven && key >= b->tau) ++b->count_ge;
  if (!b->bound.Accepts(key)) return;
  b->cands.push_back({key, idx});
  if (static_cast<int64_t>(b->cands.size()) >= cap_) {
    b->bound = Bound{CompactTop(&b->cands, k_, &b->scratch), true};
    b->proven = true;
  }
}

template <typename T>
void Selector::ProcessRows(const T* data, int64_t r0, int64_t r1, Block* b) const {
  b->cols.resize(static_cast<size_t>(c_));
  int32_t* cols = b->cols.data();
  for (int64_t r = r0; r < r1; ++r) {
    const T* x = data + r * c_;
    const int64_t base = (rows_seen_ + r) * c_;
    int64_t bad = -1, n = 0;
    double lse = 0;
    if (criterion_ == kLogit) {
      n = Filter(isa_, x, c_, FilterValue<T>(b->bound.value), cols, &bad);
    } else if (RowLse(isa_, x, c_, &bad, &lse)) {
      n = Filter(isa_, x, c_, FilterValue<T>(ProbLowerX(b->bound, lse)), cols, nullptr);
    }
    if (bad >= 0) {
      b->bad_row = r;
      b->bad_col = bad;
      b->bad_value = static_cast<double>(x[bad]);
      return;
    }
    for (int64_t i = 0; i < n; ++i) {
      // + 0.0 turns -0 into +0, so equal keys are equal bit patterns.
      double key = static_cast<double>(x[cols[i]]) - lse + 0.0;
      Keep(b, key, base + cols[i]);
    }
  }
}

template <typename T>
void Selector::RunBlocks(const T* data, int64_t nRows, Bound start) {
  int nb = static_cast<int>(std::min<int64_t>(nRows, kBlocks));
  blocks_.resize(static_cast<size_t>(nb));
  for (Block& b : blocks_) {  // reset, keeping each block's memory
    b.cands.clear();
    b.bound = start;
    b.sampled = !start.strict;
    b.tau = start.value;
    b.count_ge = 0;
    b.proven = false;
    b.bad_row = b.bad_col = -1;
    b.bad_value = 0;
  }
  const int threads = nRows * c_ >= kMinParallelValues ? threads_ : 1;
  ParallelBlocks(nRows, nb, threads, [&](int i, int64_t s, int64_t e) { ProcessRows(data, s, e, &blocks_[i]); });
  for (const Block& b : blocks_) {
    if (b.bad_row >= 0) {
      const int64_t row = rows_seen_ + b.bad_row;
      throw DataError("E_NOT_FINITE",
                      "row " + std::to_string(row) + ", column " + std::to_string(b.bad_col) + " is " +
                          NonFiniteName(b.bad_value) + "; top-K needs finite logits",
                      row, b.bad_col, b.bad_value);
    }
  }
}

template <typename T>
bool Selector::SampleThreshold(const T* data, int64_t nRows, double* tau) const {
  const double p = static_cast<double>(k_) / (static_cast<double>(nRows) * static_cast<double>(c_));
  if (p > 0.25) return false;
  const int64_t sRows = static_cast<int64_t>(std::ceil(kSampleHits / p / static_cast<double>(c_)));
  if (sRows * 8 > nRows) return false;  // a sample that large does not pay off
  return SampleKeys(data, nRows, sRows, p, tau);
}

// Keys of sRows rows spread over the chunk; *tau = the key expected to keep
// a fraction p of them, with a margin (so at least that many pass, w.h.p.).
template <typename T>
bool Selector::SampleKeys(const T* data, int64_t nRows, int64_t sRows, double p, double* tau) const {
  std::vector<double> keys;
  keys.reserve(static_cast<size_t>(sRows * c_));
  for (int64_t i = 0; i < sRows; ++i) {
    const int64_t r = static_cast<int64_t>((static_cast<double>(i) + 0.5) * static_cast<double>(nRows) / sRows);
    const T* x = data + std::min(r, nRows - 1) * c_;
    int64_t bad = -1;
    double lse = 0;
    if (criterion_ == kLogit) {
      for (int64_t j = 0; j < c_ && bad < 0; ++j) bad = std::isfinite(x[j]) ? -1 : j;
    } else {
      RowLse(isa_, x, c_, &bad, &lse);
    }
    if (bad >= 0) continue;  // the main pass reports it
    for (int64_t j = 0; j < c_; ++j) keys.push_back(static_cast<double>(x[j]) - lse + 0.0);
  }
  const double expected = p * static_cast<double>(keys.size());
  const int64_t rank = static_cast<int64_t>(std::ceil(expected * 1.15 + 4 * std::sqrt(expected) + 16));
  if (rank >= static_cast<int64_t>(keys.size())) return false;
  *tau = KthLargest(&keys, rank);
  return true;
}

// The first push of a hinted selector estimates hint_tau_ for the whole
// matrix; pushes keep every key >= it until K of them are held (then it is
// proven and the usual running threshold takes over). False: no estimate
// (a chunk too small to sample), so the caller goes the usual way.
template <typename T>
bool Selector::PushHinted(const T* data, int64_t nRows) {
  if (!hinted_) {
    if (rows_seen_ > 0 || expected_rows_ <= 0 || have_theta_) return false;
    const double p = static_cast<double>(k_) / (static_cast<double>(std::max(expected_rows_, nRows)) * static_cast<double>(c_));
    // At most an eighth of the chunk, and enough rows for 64 expected hits.
    const int64_t sRows = std::min<int64_t>(static_cast<int64_t>(std::ceil(kSampleHits / p / static_cast<double>(c_))), nRows / 8);
    if (p > 0.25 || p * static_cast<double>(sRows * c_) < 64 || !SampleKeys(data, nRows, sRows, p, &hint_tau_)) {
      expected_rows_ = 0;
      return false;
    }
    hinted_ = true;
  }
  if (static_cast<int64_t>(buffer_.size()) >= k_) return false;  // proven: the usual way
  RunBlocks(data, nRows, Bound{hint_tau_, false});
  AppendBlocks();
  rows_seen_ += nRows;
  return true;
}

void Selector::AppendBlocks() {
  size_t total = buffer_.size();
  for (const Block& b : blocks_) total += b.cands.size();
  // Between compactions the buffer holds at most cap_ plus one chunk's
  // candidates: grow towards that geometrically, so a stream seldom moves it
  // (an exact reserve moved it at every push; untouched capacity costs
  // nothing), and never reserve far beyond what is held (K may be 2^53).
  if (total > buffer_.capacity()) {
    buffer_.reserve(std::max(total, std::min(static_cast<size_t>(cap_ + cap_ / 4), 2 * total)));
  }
  for (const Block& b : blocks_) buffer_.insert(buffer_.end(), b.cands.begin(), b.cands.end());
}

void Selector::CompactIfFull() {
  const int64_t size = static_cast<int64_t>(buffer_.size());
  if (size > cap_ || (!have_theta_ && size >= k_)) {
    theta_ = CompactTop(&buffer_, k_, &scratch_);
    have_theta_ = true;
  }
}

template <typename T>
void Selector::Push(const T* data, int64_t nRows, bool last) {
  if (nRows == 0) return;
  if (PushHinted(data, nRows)) {
    // Keys >= hint_tau_ only: compacting is safe once K of them are held.
    if (!last && !Unproven()) CompactIfFull();
    return;
  }
  double tau = 0;
  bool sampled = !have_theta_ && static_cast<int64_t>(buffer_.size()) + nRows * c_ > cap_ &&
                 SampleThreshold(data, nRows, &tau);
  if (sampled) {
    RunBlocks(data, nRows, Bound{tau, false});
    int64_t count = 0;
    bool proven = false;
    for (const Block& b : blocks_) {
      count += b.count_ge;
      proven = proven || b.proven;
    }
    for (const Cand& c : buffer_) count += c.key >= tau;
    // At least K keys >= tau: everything below tau is out of the top K.
    sampled = proven || count >= k_;
    ++sampled_chunks_;
    fallbacks_ += !sampled;
  }
  if (!sampled) RunBlocks(data, nRows, Bound{theta_, true});
  AppendBlocks();
  rows_seen_ += nRows;
  if (last) return;  // Finish sorts and keeps the first K
  CompactIfFull();
}

template void Selector::Push<float>(const float*, int64_t, bool);
template void Selector::Push<double>(const double*, int64_t, bool);

const std::vector<Cand>& Selector::Finish() {
  const int64_t total = rows_seen_ * c_;
  if (k_ > total) {
    throw ArgError("k = " + std::to_string(k_) + " is out of range [1, " + std::to_string(total) + "]");
  }
  if (Unproven()) throw std::logic_error("internal error: finishing a hinted top-K whose estimate was not proven");
  if (static_cast<int64_t>(buffer_.size()) < k_) throw std::logic_error("internal error: fewer candidates than k");
  // Sorting is the costlier pass: cut a large surplus first. The sort is by
  // (key, index), so the first K after it are the K best either way.
  if (static_cast<int64_t>(buffer_.size()) > cap_) CompactTop(&buffer_, k_, &scratch_);
  SortDescending(&buffer_, threads_);
  buffer_.resize(static_cast<size_t>(k_));
  return buffer_;
}

void Selector::Values(const std::vector<Cand>& best, float* out) const {
  const size_t n = best.size();
  if (criterion_ == kLogit) {
    for (size_t i = 0; i < n; ++i) out[i] = static_cast<float>(best[i].key);
    return;
  }
  // Vectorised exp over chunks of keys.
  constexpr size_t kChunk = 512;
  double keys[kChunk];
  for (size_t i0 = 0; i0 < n; i0 += kChunk) {
    const size_t m = std::min(kChunk, n - i0);
    for (size_t i = 0; i < m; ++i) keys[i] = best[i0 + i].key;
    topk_rows::ExpToFloat(isa_, keys, static_cast<int64_t>(m), out + i0);
  }
}

}  // namespace topk
}  // namespace realabel
