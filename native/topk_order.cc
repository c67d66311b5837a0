// Ordering helpers; see topk_order.h. Keys are mapped to unsigned integers
// whose ascending order is the keys' descending order, then bucketed by
// their high bits: one counting pass and one scatter replace a comparison
// sort over all candidates.
#include "topk_order.h"

#include <algorithm>
#include <functional>

#include "parallel.h"
#include "topk_math.h"

namespace realabel {
namespace topk {

namespace {

// Ascending DescKey = descending key (for keys that are not NaN).
inline uint64_t DescKey(double key) {
  uint64_t u = topk_math::Bits(key);
  u = (u >> 63) ? ~u : (u | (1ULL << 63));
  return ~u;
}

inline double FromDescKey(uint64_t d) {
  uint64_t u = ~d;
  return topk_math::FromBits((u >> 63) ? (u & ~(1ULL << 63)) : ~u);
}

inline int BitWidth(uint64_t x) {
#if defined(__GNUC__) || defined(__clang__)
  return x == 0 ? 0 : 64 - __builtin_clzll(x);
#else
  int w = 0;
  for (; x; x >>= 1) ++w;
  return w;
#endif
}

inline int TrailingZeros(uint64_t x) {  // x != 0
#if defined(__GNUC__) || defined(__clang__)
  return __builtin_ctzll(x);
#else
  int n = 0;
  for (; !(x & 1); x >>= 1) ++n;
  return n;
#endif
}

struct Item {
  uint64_t d;
  int64_t idx;
  bool operator<(const Item& o) const { return d != o.d ? d < o.d : idx < o.idx; }
};

// The rank-th smallest of d (rank >= 1), reordering and shrinking d: narrows
// to the histogram bin holding it until few values remain.
uint64_t KthSmallestD(std::vector<uint64_t>* dv, std::vector<int64_t>* hist, int64_t rank) {
  constexpr int kBinBits = 12;
  std::vector<uint64_t>& d = *dv;
  uint64_t lo = ~0ULL, hi = 0;
  for (uint64_t x : d) {
    lo = std::min(lo, x);
    hi = std::max(hi, x);
  }
  hist->resize(size_t{1} << kBinBits);
  while (d.size() > 4096 && lo < hi) {
    const int shift = std::max(0, BitWidth(hi - lo) - kBinBits);
    std::fill(hist->begin(), hist->end(), 0);
    for (uint64_t x : d) ++(*hist)[(x - lo) >> shift];
    size_t bin = 0;
    while (rank > (*hist)[bin]) rank -= (*hist)[bin++];
    size_t w = 0;
    uint64_t nlo = ~0ULL, nhi = 0;
    for (uint64_t x : d) {
      if (((x - lo) >> shift) != bin) continue;
      d[w++] = x;
      nlo = std::min(nlo, x);
      nhi = std::max(nhi, x);
    }
    d.resize(w);
    lo = nlo;
    hi = nhi;
  }
  if (lo == hi) return lo;
  std::nth_element(d.begin(), d.begin() + (rank - 1), d.end());
  return d[static_cast<size_t>(rank - 1)];
}

}  // namespace

double KthLargest(std::vector<double>* keys, int64_t rank) {
  OrderScratch s;
  s.d.resize(keys->size());
  for (size_t i = 0; i < keys->size(); ++i) s.d[i] = DescKey((*keys)[i]);
  return FromDescKey(KthSmallestD(&s.d, &s.hist, rank));
}

double CompactTop(std::vector<Cand>* v, int64_t k) {
  OrderScratch s;
  return CompactTop(v, k, &s);
}

double CompactTop(std::vector<Cand>* v, int64_t k, OrderScratch* scratch) {
  scratch->d.resize(v->size());
  for (size_t i = 0; i < v->size(); ++i) scratch->d[i] = DescKey((*v)[i].key);
  const double theta = FromDescKey(KthSmallestD(&scratch->d, &scratch->hist, k));
  int64_t above = 0;
  for (const Cand& c : *v) above += c.key > theta;
  int64_t ties = k - above;
  size_t w = 0;
  for (const Cand& c : *v) {
    // Among keys equal to theta the lowest indices win; v is in index order.
    if (c.key > theta || (c.key == theta && ties-- > 0)) (*v)[w++] = c;
  }
  v->resize(static_cast<size_t>(k));
  return theta;
}

namespace {

// Stable LSD radix sort of items [0, n) by d, 8 bits at a time over the low
// `bits` bits, with tmp as scratch; digits that never vary are skipped.
void RadixSortLow(Item* items, Item* tmp, size_t n, int bits) {
  if (n < 2 || bits <= 0) return;
  if (n <= 32) {  // insertion sort: (d, idx) order equals the stable order
    for (size_t i = 1; i < n; ++i) {
      Item x = items[i];
      size_t j = i;
      for (; j > 0 && x < items[j - 1]; --j) items[j] = items[j - 1];
      items[j] = x;
    }
    return;
  }
  const int digits = (bits + 7) / 8;
  size_t hist[8][256] = {};
  for (size_t i = 0; i < n; ++i) {
    for (int g = 0; g < digits; ++g) ++hist[g][(items[i].d >> (8 * g)) & 255];
  }
  Item* src = items;
  Item* dst = tmp;
  for (int g = 0; g < digits; ++g) {
    size_t* h = hist[g];
    if (*std::max_element(h, h + 256) == n) continue;
    size_t pos = 0;
    for (int i = 0; i < 256; ++i) {
      size_t c = h[i];
      h[i] = pos;
      pos += c;
    }
    for (size_t i = 0; i < n; ++i) dst[h[(src[i].d >> (8 * g)) & 255]++] = src[i];
    std::swap(src, dst);
  }
  if (src != items) std::copy(src, src + n, items);
}

}  // namespace

void SortDescending(std::vector<Cand>* v, int threads) {
  const size_t n = v->size();
  if (n < 2) return;
  // Every pass splits [0, n) into the same fixed blocks, combined in block
  // order, so the result never depends on the thread count.
  constexpr int kSortBlocks = 16;
  const int64_t nn = static_cast<int64_t>(n);
  std::vector<Item> a(n), sorted(n);
  struct Stats {
    uint64_t lo = ~0ULL, hi = 0, diff = 0;
    size_t hist[256] = {};
  };
  std::vector<Stats> st(kSortBlocks);
  const uint64_t d0 = DescKey((*v)[0].key);
  ParallelBlocks(nn, kSortBlocks, threads, [&](int b, int64_t s, int64_t e) {
    Stats& t = st[b];
    for (int64_t i = s; i < e; ++i) {
      const uint64_t d = DescKey((*v)[i].key);
      a[i] = {d, (*v)[i].idx};
      t.lo = std::min(t.lo, d);
      t.hi = std::max(t.hi, d);
      t.diff |= d ^ d0;  // low bits shared by every d are zero here
    }
  });
  uint64_t lo = ~0ULL, hi = 0, diff = 0;
  for (const Stats& t : st) {
    lo = std::min(lo, t.lo);
    hi = std::max(hi, t.hi);
    diff |= t.diff;
  }
  // Sort (d - lo) >> tz: without the trailing zero bits every key shares (29
  // for float32 logits) fewer digits remain. One stable pass on the top 8
  // bits, then each bucket on the rest.
  const int tz = diff == 0 ? 0 : TrailingZeros(diff);
  const int bits = BitWidth((hi - lo) >> tz);
  const int top = std::max(0, bits - 8);
  ParallelBlocks(nn, kSortBlocks, threads, [&](int b, int64_t s, int64_t e) {
    for (int64_t i = s; i < e; ++i) {
      a[i].d = (a[i].d - lo) >> tz;
      ++st[b].hist[a[i].d >> top];
    }
  });
  size_t start[257] = {};
  for (int d = 0; d < 256; ++d) {
    size_t total = 0;
    for (Stats& t : st) {
      const size_t c = t.hist[d];
      t.hist[d] = start[d] + total;  // this block's first slot in bucket d
      total += c;
    }
    start[d + 1] = start[d] + total;
  }
  ParallelBlocks(nn, kSortBlocks, threads, [&](int b, int64_t s, int64_t e) {
    size_t* pos = st[b].hist;
    for (int64_t i = s; i < e; ++i) sorted[pos[a[i].d >> top]++] = a[i];
  });
  ParallelBlocks(256, kSortBlocks, threads, [&](int, int64_t b0, int64_t b1) {
    for (int64_t d = b0; d < b1; ++d) {
      RadixSortLow(sorted.data() + start[d], a.data() + start[d], start[d + 1] - start[d], top);
    }
  });
  ParallelBlocks(nn, kSortBlocks, threads, [&](int, int64_t s, int64_t e) {
    for (int64_t i = s; i < e; ++i) (*v)[i] = {FromDescKey((sorted[i].d << tz) + lo), sorted[i].idx};
  });
}

}  // namespace topk
}  // namespace realabel
