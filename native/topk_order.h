// Ordering helpers of the top-K selection: k-th largest key, stable
// compaction to the K best, and the final sort (key descending, index
// ascending). All are deterministic; threads only split independent work.
#pragma once
#include <cstdint>
#include <vector>

namespace realabel {
namespace topk {

struct Cand {
  double key;   // finite, never -0
  int64_t idx;  // flat index image*C + label
};

// Working memory of KthLargest and CompactTop, kept by the caller and reused:
// fresh memory costs more than the selection itself here (first touch).
struct OrderScratch {
  std::vector<uint64_t> d;
  std::vector<int64_t> hist;
};

// The rank-th largest value of keys (1 = largest); reorders keys.
double KthLargest(std::vector<double>* keys, int64_t rank);

// Keeps the k best of v (k <= v.size(), v in index order) in index order;
// returns the k-th key. The second form works in `scratch`.
double CompactTop(std::vector<Cand>* v, int64_t k);
double CompactTop(std::vector<Cand>* v, int64_t k, OrderScratch* scratch);

// Sorts by key descending, then index ascending.
void SortDescending(std::vector<Cand>* v, int threads);

}  // namespace topk
}  // namespace realabel
