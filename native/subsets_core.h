// Exhaustive model-subset search for `select-models`, free of Node-API
// (subsets.cc binds it; native/fuzz/fuzz_select.cc runs it).
//
// Candidate pairs are bits. Per model m: A_m = pairs m proposed (>= 1 of its
// sources), B_m = pairs both of its sources proposed, F_m = pairs that are m's
// top-1. For a subset T the pooled proposals are
//   (votes_T >= minVotes) | OR_{m in T} F_m | ORIG,
// where "votes_T >= v" planes are saturating bit-sliced counters updated one
// model at a time: ge[v] |= (ge[v-1] & A_m) | (ge[v-2] & B_m).
//
// Subsets are enumerated depth-first (each subset = its parent + one model),
// in a fixed number of blocks (the membership of the top models), so the
// result never depends on the thread count. For each number of true
// positives t we keep the best subset (fewest denominator pairs, then fewest
// proposals, then fewest models, then lowest mask); callers derive the best
// subset and the Pareto front from these.
#pragma once
#include <cstdint>

#include "check.h"

namespace realabel {
namespace subsets {

// Bitsets as 32-bit words, each array with its length (the typed array's).
struct Input {
  int64_t models = 0, words32 = 0, minVotes = 0, maxTp = 0;
  const uint32_t *a = nullptr, *b = nullptr, *f = nullptr;  // [model][word]
  int64_t aLen = 0, bLen = 0, fLen = 0;
  const uint32_t *base = nullptr, *pos = nullptr, *gold = nullptr;  // [word]
  int64_t baseLen = 0, posLen = 0, goldLen = 0;
  bool goldDen = false;  // precision's denominator: proposed gold questions only (else all proposed)
};

// Ranges and lengths; throws ArgError.
void Check(const Input& in);

// For each number of true positives t in [0, maxTp]: the best subset's mask
// (-1: none), its proposal count and precision denominator. Outputs hold
// maxTp + 1 values each.
void Search(const Input& in, int threads, int32_t* mask, int32_t* count, int32_t* den);

}  // namespace subsets
}  // namespace realabel
