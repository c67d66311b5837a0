// Exhaustive model-subset search; see subsets_core.h.
#include "subsets_core.h"

#include <algorithm>
#include <cstring>
#include <string>
#include <vector>

#include "parallel.h"

namespace realabel {
namespace subsets {
namespace {

struct Problem {
  int models, words, minVotes;  // words: 64-bit words per bitset
  bool goldDen;  // precision's denominator: proposed gold questions only (else all proposed)
  std::vector<uint64_t> a, b, f;  // [model][word]
  std::vector<uint64_t> base, pos, gold;
  int maxTp;
};

struct Best {
  int32_t mask = -1, count = 0, den = 0;
};

inline int Popcount(uint64_t x) { return __builtin_popcountll(x); }

// Lexicographic "better" for two subsets with the same number of true positives.
inline bool Better(int den, int count, int32_t mask, const Best& b) {
  if (b.mask < 0) return true;
  if (den != b.den) return den < b.den;
  if (count != b.count) return count < b.count;
  int pa = Popcount(static_cast<uint64_t>(mask)), pb = Popcount(static_cast<uint64_t>(b.mask));
  if (pa != pb) return pa < pb;
  return mask < b.mask;
}

// Depth-first walk over subsets. Level L of the stack holds the state after
// L models: planes ge[1..V] ("at least v votes", slot v - 1) and the forced
// union (slot V); ge[0] is implicitly all ones.
class Walker {
 public:
  Walker(const Problem& p, std::vector<Best>& best)
      : p_(p), best_(best), per_(static_cast<size_t>(p.minVotes + 1) * p.words),
        stack_(static_cast<size_t>(p.models + 1) * per_, 0) {}

  // state[level + 1] = state[level] + model m.
  void Add(int level, int m) {
    const int W = p_.words, V = p_.minVotes;
    const uint64_t* src = &stack_[level * per_];
    uint64_t* dst = &stack_[(level + 1) * per_];
    const uint64_t* A = &p_.a[static_cast<size_t>(m) * W];
    const uint64_t* B = &p_.b[static_cast<size_t>(m) * W];
    const uint64_t* F = &p_.f[static_cast<size_t>(m) * W];
    for (int w = 0; w < W; ++w) {
      uint64_t prev2 = ~uint64_t{0}, prev1 = ~uint64_t{0};  // ge[v - 2], ge[v - 1] before the update
      for (int v = 1; v <= V; ++v) {
        uint64_t cur = src[(v - 1) * W + w];
        dst[(v - 1) * W + w] = cur | (prev1 & A[w]) | (prev2 & B[w]);
        prev2 = prev1;
        prev1 = cur;
      }
      dst[V * W + w] = src[V * W + w] | F[w];
    }
  }

  // Scores the subset whose state is at `level`.
  void Record(int level, int32_t mask) {
    const int W = p_.words, V = p_.minVotes;
    const uint64_t* s = &stack_[level * per_];
    int count = 0, tp = 0, inGold = 0;
    for (int w = 0; w < W; ++w) {
      uint64_t proposed = s[(V - 1) * W + w] | s[V * W + w] | p_.base[w];
      count += Popcount(proposed);
      tp += Popcount(proposed & p_.pos[w]);
      inGold += Popcount(proposed & p_.gold[w]);
    }
    int den = p_.goldDen ? inGold : count;
    Best& b = best_[tp];
    if (Better(den, count, mask, b)) b = {mask, count, den};
  }

  // Every subset of models [0, low) on top of the state at `level` (mask `fixed`).
  void Walk(int level, int next, int low, int32_t mask) {
    for (int m = next; m < low; ++m) {
      Add(level, m);
      int32_t sub = mask | (int32_t{1} << m);
      Record(level + 1, sub);
      Walk(level + 1, m + 1, low, sub);
    }
  }

  // Block `blk`: the top models' membership is the bits of blk.
  void RunBlock(int blk, int low) {
    std::fill(stack_.begin(), stack_.begin() + per_, 0);
    int level = 0;
    int32_t mask = 0;
    for (int h = 0; low + h < p_.models; ++h) {
      if (!((blk >> h) & 1)) continue;
      Add(level++, low + h);
      mask |= int32_t{1} << (low + h);
    }
    if (mask != 0) Record(level, mask);
    Walk(level, 0, low, mask);
  }

 private:
  const Problem& p_;
  std::vector<Best>& best_;
  size_t per_;
  std::vector<uint64_t> stack_;
};

// Reads `count` bitsets of `words32` 32-bit words into 64-bit words.
std::vector<uint64_t> Widen(const uint32_t* src, int count, int words32) {
  const int words = (words32 + 1) / 2;
  std::vector<uint64_t> out(static_cast<size_t>(count) * words, 0);
  for (int i = 0; i < count; ++i) {
    for (int w = 0; w < words32; ++w) {
      out[static_cast<size_t>(i) * words + w / 2] |= static_cast<uint64_t>(src[static_cast<size_t>(i) * words32 + w]) << (32 * (w % 2));
    }
  }
  return out;
}

}  // namespace

void Check(const Input& in) {
  CheckRange("models", in.models, 1, 24);
  CheckRange("words", in.words32, 1, 1 << 24);
  CheckRange("minVotes", in.minVotes, 1, 64);
  const int64_t per = in.models * in.words32;
  const auto words = [&](const char* what, int64_t len, int64_t expected) {
    if (len != expected) {
      throw ArgError(std::string(what) + ": expected " + std::to_string(expected) + " words, got " + std::to_string(len));
    }
  };
  words("A", in.aLen, per);
  words("B", in.bLen, per);
  words("F", in.fLen, per);
  words("base", in.baseLen, in.words32);
  words("pos", in.posLen, in.words32);
  words("gold", in.goldLen, in.words32);
  CheckRange("maxTp", in.maxTp, 0, in.words32 * 32);
  int64_t tpBits = 0;
  for (int64_t w = 0; w < in.words32; ++w) tpBits += Popcount(in.pos[w]);
  if (tpBits > in.maxTp) throw ArgError("maxTp is smaller than the number of positive bits");
}

void Search(const Input& in, int threads, int32_t* outMask, int32_t* outCount, int32_t* outDen) {
  Problem p;
  p.models = static_cast<int>(in.models);
  p.minVotes = static_cast<int>(in.minVotes);
  const int words32 = static_cast<int>(in.words32);
  p.a = Widen(in.a, p.models, words32);
  p.b = Widen(in.b, p.models, words32);
  p.f = Widen(in.f, p.models, words32);
  p.base = Widen(in.base, 1, words32);
  p.pos = Widen(in.pos, 1, words32);
  p.gold = Widen(in.gold, 1, words32);
  p.goldDen = in.goldDen;
  p.words = (words32 + 1) / 2;
  // A subset's true positives never exceed the positive bits: keep buckets for those only.
  int tpBits = 0;
  for (int w = 0; w < p.words; ++w) tpBits += Popcount(p.pos[w]);
  p.maxTp = tpBits;

  // Fixed block count (the top `high` models' membership), independent of threads.
  const int high = p.models < 6 ? p.models : 6;
  const int low = p.models - high;
  const int blocks = 1 << high;
  std::vector<std::vector<Best>> perBlock(blocks, std::vector<Best>(static_cast<size_t>(p.maxTp) + 1));
  ParallelBlocks(blocks, blocks, threads, [&](int blk, int64_t, int64_t) {
    Walker walker(p, perBlock[blk]);
    walker.RunBlock(blk, low);
  });
  for (int64_t t = 0; t <= in.maxTp; ++t) {
    Best best;
    for (int blk = 0; t <= p.maxTp && blk < blocks; ++blk) {
      const Best& b = perBlock[blk][t];
      if (b.mask >= 0 && Better(b.den, b.count, b.mask, best)) best = b;
    }
    outMask[t] = best.mask;
    outCount[t] = best.count;
    outDen[t] = best.den;
  }
}

}  // namespace subsets
}  // namespace realabel
