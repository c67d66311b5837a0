// Pooling of label proposals; see pool_core.h.
#include "pool_core.h"

#include <algorithm>
#include <cstring>
#include <string>

#include "parallel.h"

namespace realabel {
namespace pool {

namespace {

// LSD radix sort on the low `bits` bits with 11-bit digits; skips digits that
// are equal for every key.
void RadixSort(std::vector<uint64_t>& keys, int bits) {
  const int kDigit = 11;
  const size_t kBuckets = size_t{1} << kDigit;
  std::vector<uint64_t> tmp(keys.size());
  std::vector<size_t> count(kBuckets);
  for (int shift = 0; shift < bits; shift += kDigit) {
    CheckAbort();
    std::fill(count.begin(), count.end(), 0);
    for (uint64_t k : keys) ++count[(k >> shift) & (kBuckets - 1)];
    if (count[(keys.empty() ? 0 : (keys[0] >> shift)) & (kBuckets - 1)] == keys.size()) continue;
    size_t sum = 0;
    for (auto& c : count) {
      size_t v = c;
      c = sum;
      sum += v;
    }
    for (uint64_t k : keys) tmp[count[(k >> shift) & (kBuckets - 1)]++] = k;
    keys.swap(tmp);
  }
}

int BitsFor(uint64_t maxValue) {
  int b = 0;
  while (b < 64 && (maxValue >> b) != 0) ++b;
  return b;
}

// Encodes every occurrence; forced labels are de-duplicated per image first
// (they are mostly equal across models), so they cost O(N * distinct).
std::vector<uint64_t> Encode(const Input& in, int tagBits) {
  std::vector<uint64_t> keys;
  keys.reserve(static_cast<size_t>(in.srcImageLen) + static_cast<size_t>(in.forcedLen));
  for (int64_t s = 0; s < in.sources; ++s) {
    for (int32_t j = in.srcOffsets[s]; j < in.srcOffsets[s + 1]; ++j) {
      int32_t im = in.srcImage[j], lb = in.srcLabel[j];
      if (im < 0 || im >= in.n || lb < 0 || lb >= in.c) {
        throw ArgError("source " + std::to_string(s) + ", pair " + std::to_string(j - in.srcOffsets[s]) + ": (image " +
                       std::to_string(im) + ", label " + std::to_string(lb) + ") is outside [0, " + std::to_string(in.n) +
                       ") x [0, " + std::to_string(in.c) + ")");
      }
      keys.push_back((static_cast<uint64_t>(im) * in.c + lb) << tagBits | static_cast<uint64_t>(s));
    }
  }
  const int64_t forcedRows = in.forcedLen / in.n;
  if (forcedRows == 0) return keys;
  std::vector<int32_t> row(static_cast<size_t>(forcedRows));
  for (int64_t i = 0; i < in.n; ++i) {
    for (int64_t f = 0; f < forcedRows; ++f) {
      int32_t lb = in.forced[f * in.n + i];
      if (lb < 0 || lb >= in.c) {
        throw ArgError("forced row " + std::to_string(f) + ", image " + std::to_string(i) + ": label " + std::to_string(lb) +
                       " is outside [0, " + std::to_string(in.c) + ")");
      }
      row[f] = lb;
    }
    std::sort(row.begin(), row.end());
    for (size_t f = 0; f < row.size(); ++f) {
      if (f > 0 && row[f] == row[f - 1]) continue;
      keys.push_back((static_cast<uint64_t>(i) * in.c + row[f]) << tagBits | static_cast<uint64_t>(in.sources));
    }
  }
  return keys;
}

// One group of equal (image, label): [begin, end) of the sorted keys.
struct Group {
  int64_t votes;
  bool forced;
};

Group Inspect(const std::vector<uint64_t>& keys, size_t begin, size_t end, int tagBits, uint64_t forcedTag) {
  const uint64_t tagMask = (uint64_t{1} << tagBits) - 1;
  Group g{0, false};
  uint64_t prev = ~uint64_t{0};
  for (size_t j = begin; j < end; ++j) {
    uint64_t tag = keys[j] & tagMask;
    if (tag == prev) continue;  // a source listing the same pair twice votes once
    prev = tag;
    if (tag == forcedTag) g.forced = true;
    else ++g.votes;
  }
  return g;
}

}  // namespace

void Check(const Input& in) {
  CheckRange("n", in.n, 1, INT32_MAX);
  CheckRange("c", in.c, 1, INT32_MAX);
  CheckRange("models", in.models, 1, 1 << 20);
  CheckRange("minVotes", in.minVotes, 1, INT32_MAX);
  if (in.srcOffsetsLen != in.sources + 1) throw ArgError("srcOffsets: expected " + std::to_string(in.sources + 1) + " entries");
  if (in.srcImageLen != in.srcLabelLen) throw ArgError("srcImage and srcLabel differ in length");
  if (in.srcOffsets[0] != 0 || in.srcOffsets[in.sources] != in.srcImageLen) {
    throw ArgError("srcOffsets must start at 0 and end at the number of pairs");
  }
  for (int64_t s = 0; s < in.sources; ++s) {
    if (in.srcOffsets[s + 1] < in.srcOffsets[s]) throw ArgError("srcOffsets must be non-decreasing");
    if (in.srcModel[s] < 0 || in.srcModel[s] >= in.models) {
      throw ArgError("srcModel[" + std::to_string(s) + "] = " + std::to_string(in.srcModel[s]) + " is out of range");
    }
  }
  if (in.forcedLen % in.n != 0) throw ArgError("forced: length must be a multiple of n");
  // (n * c) << tagBits must fit in 64 bits; checked with doubles before any shift.
  const int tagBits = BitsFor(static_cast<uint64_t>(in.sources));
  if (static_cast<double>(in.n) * static_cast<double>(in.c) * static_cast<double>(uint64_t{1} << tagBits) >= 1.8e19) {
    throw ArgError("n * c * 2^ceil(log2(sources + 1)) is too large to encode in 64 bits");
  }
}

Pooler::Pooler(const Input& in) : in_(in), tag_bits_(BitsFor(static_cast<uint64_t>(in.sources))) {
  // Planes: plane j has bit m set when >= j + 1 sources of model m propose the pair.
  std::vector<int64_t> perModel(static_cast<size_t>(in.models), 0);
  for (int64_t s = 0; s < in.sources; ++s) ++perModel[in.srcModel[s]];
  planes_ = static_cast<int>(std::max<int64_t>(1, *std::max_element(perModel.begin(), perModel.end())));
  words_ = (in.models + 31) / 32;
  keys_ = Encode(in, tag_bits_);
  CheckAbort();
  RadixSort(keys_, BitsFor(static_cast<uint64_t>(in.n) * in.c - 1) + tag_bits_);
  const uint64_t forcedTag = static_cast<uint64_t>(in.sources);
  for (size_t b = 0; b < keys_.size();) {
    size_t e = b + 1;
    while (e < keys_.size() && (keys_[e] >> tag_bits_) == (keys_[b] >> tag_bits_)) ++e;
    Group g = Inspect(keys_, b, e, tag_bits_, forcedTag);
    if (g.forced || g.votes >= in.minVotes) starts_.push_back(b);
    b = e;
  }
  // The masks are pairs * words * planes: bounded by the pairs given, not by a claimed model count.
  const double maskWords = static_cast<double>(starts_.size()) * static_cast<double>(words_) * planes_;
  const double given = static_cast<double>(in.srcImageLen) * 2 + static_cast<double>(in.forcedLen) + in.sources;
  if (maskWords > static_cast<double>(kMaskSlack) + 16 * given) {
    throw ArgError("models = " + std::to_string(in.models) + ": the model masks would need " +
                   std::to_string(static_cast<int64_t>(maskWords)) + " words for " + std::to_string(starts_.size()) +
                   " pairs, too many for the data given");
  }
}

void Pooler::Fill(int32_t* image, int32_t* label, int32_t* votes, uint32_t* masks) const {
  const size_t P = starts_.size();
  const uint64_t forcedTag = static_cast<uint64_t>(in_.sources);
  const uint64_t tagMask = (uint64_t{1} << tag_bits_) - 1;
  if (P == 0) return;  // the output arrays may be null
  std::memset(masks, 0, P * static_cast<size_t>(words_) * planes_ * sizeof(uint32_t));
  std::vector<int> count(static_cast<size_t>(in_.models), 0);
  for (size_t p = 0; p < P; ++p) {
    size_t b = starts_[p], e = b + 1;
    while (e < keys_.size() && (keys_[e] >> tag_bits_) == (keys_[b] >> tag_bits_)) ++e;
    uint64_t flat = keys_[b] >> tag_bits_;
    image[p] = static_cast<int32_t>(flat / in_.c);
    label[p] = static_cast<int32_t>(flat % in_.c);
    votes[p] = static_cast<int32_t>(Inspect(keys_, b, e, tag_bits_, forcedTag).votes);
    uint64_t prev = ~uint64_t{0};
    for (size_t j = b; j < e; ++j) {
      uint64_t tag = keys_[j] & tagMask;
      if (tag == prev || tag == forcedTag) continue;
      prev = tag;
      int m = in_.srcModel[tag];
      int plane = count[m]++;
      masks[(plane * P + p) * words_ + m / 32] |= uint32_t{1} << (m % 32);
    }
    for (size_t j = b; j < e; ++j) {
      uint64_t tag = keys_[j] & tagMask;
      if (tag != forcedTag) count[in_.srcModel[tag]] = 0;
    }
  }
}

}  // namespace pool
}  // namespace realabel
