// libFuzzer entry: exhaustive model-subset search (subsets_core.h). Checks
// lying sizes and lengths; every accepted search must give the same result on
// 1 and 3 threads and match a brute force over all subsets of the models.
#include <algorithm>
#include <vector>

#include "../subsets_core.h"
#include "fuzz_util.h"

using namespace realabel;
using realabel::fuzz::Claim;

namespace {

struct Best {
  int32_t mask = -1, count = 0, den = 0;
};

bool Better(int den, int count, int32_t mask, const Best& b) {
  if (b.mask < 0) return true;
  if (den != b.den) return den < b.den;
  if (count != b.count) return count < b.count;
  const int pa = __builtin_popcount(static_cast<uint32_t>(mask)), pb = __builtin_popcount(static_cast<uint32_t>(b.mask));
  if (pa != pb) return pa < pb;
  return mask < b.mask;
}

bool Bit(const uint32_t* x, int64_t i) { return (x[i / 32] >> (i % 32)) & 1; }

// Votes of a subset for pair i: a model adds 2 when its B bit is set, else 1 for its A bit.
std::vector<Best> BruteForce(const subsets::Input& in) {
  std::vector<Best> best(static_cast<size_t>(in.maxTp) + 1);
  const int64_t bits = in.words32 * 32;
  for (int32_t mask = 1; mask < (int32_t{1} << in.models); ++mask) {
    int count = 0, tp = 0, inGold = 0;
    for (int64_t i = 0; i < bits; ++i) {
      int votes = 0;
      bool forced = Bit(in.base, i);
      for (int64_t m = 0; m < in.models; ++m) {
        if (!((mask >> m) & 1)) continue;
        votes += Bit(in.b + m * in.words32, i) ? 2 : Bit(in.a + m * in.words32, i) ? 1 : 0;
        forced = forced || Bit(in.f + m * in.words32, i);
      }
      if (!(forced || votes >= in.minVotes)) continue;
      ++count;
      tp += Bit(in.pos, i);
      inGold += Bit(in.gold, i);
    }
    const int den = in.goldDen ? inGold : count;
    if (Better(den, count, mask, best[tp])) best[tp] = {mask, count, den};
  }
  return best;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  FuzzedDataProvider fdp(data, size);
  const int64_t models0 = fdp.ConsumeIntegralInRange<int64_t>(1, 8);
  const int64_t words0 = fdp.ConsumeIntegralInRange<int64_t>(1, 3);
  const auto bitset = [&](int64_t len) {
    std::vector<uint32_t> v(static_cast<size_t>(len));
    for (uint32_t& x : v) x = fdp.ConsumeIntegral<uint32_t>() & fdp.ConsumeIntegral<uint32_t>();  // sparse
    return v;
  };
  std::vector<uint32_t> a = bitset(models0 * words0), b = bitset(models0 * words0), f = bitset(models0 * words0);
  for (size_t i = 0; i < b.size(); ++i) {
    if (fdp.ConsumeBool()) b[i] &= a[i];  // B within A, as select-models builds them (mostly)
    f[i] &= fdp.ConsumeIntegral<uint32_t>();
  }
  std::vector<uint32_t> base = bitset(words0), pos = bitset(words0), gold = bitset(words0);
  for (size_t i = 0; i < pos.size(); ++i) pos[i] &= gold[i];
  int64_t tpBits = 0;
  for (uint32_t x : pos) tpBits += __builtin_popcount(x);
  subsets::Input in;
  in.models = Claim(fdp, models0);
  in.words32 = Claim(fdp, words0);
  in.minVotes = Claim(fdp, fdp.ConsumeIntegralInRange<int64_t>(1, 4));
  in.maxTp = Claim(fdp, tpBits + fdp.ConsumeIntegralInRange<int64_t>(0, 2));
  const auto len = [&](const std::vector<uint32_t>& v) { return std::min<int64_t>(Claim(fdp, static_cast<int64_t>(v.size())) & 0xff, v.size()); };
  in.a = a.data(), in.aLen = len(a);
  in.b = b.data(), in.bLen = len(b);
  in.f = f.data(), in.fLen = len(f);
  in.base = base.data(), in.baseLen = len(base);
  in.pos = pos.data(), in.posLen = len(pos);
  in.gold = gold.data(), in.goldLen = len(gold);
  in.goldDen = fdp.ConsumeBool();
  try {
    subsets::Check(in);
  } catch (const ArgError&) {
    return 0;
  }
  FUZZ_EXPECT(in.maxTp >= tpBits && in.maxTp <= in.words32 * 32 && in.models <= 24);
  if (in.models > 10 || in.maxTp > 4096) return 0;  // the brute force's budget
  const size_t T = static_cast<size_t>(in.maxTp) + 1;
  std::vector<int32_t> mask1(T), count1(T), den1(T), mask3(T), count3(T), den3(T);
  subsets::Search(in, 1, mask1.data(), count1.data(), den1.data());
  subsets::Search(in, 3, mask3.data(), count3.data(), den3.data());
  FUZZ_EXPECT(mask1 == mask3 && count1 == count3 && den1 == den3);
  const std::vector<Best> want = BruteForce(in);
  for (size_t t = 0; t < T; ++t) {
    FUZZ_EXPECT(mask1[t] == want[t].mask);
    if (want[t].mask >= 0) FUZZ_EXPECT(count1[t] == want[t].count && den1[t] == want[t].den);
  }
  return 0;
}
