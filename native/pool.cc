// Pooling of label proposals: S sources of (image, label) pairs (two per model
// in `propose`: its top-K by logit and by probability) plus forced pairs (each
// model's top-1 and the original label). A pair is kept when at least
// `minVotes` sources propose it, or when it is forced.
//
// Memory is O(total pairs): every occurrence is encoded as one uint64
// ((image * C + label) << tagBits | tag), radix-sorted, and scanned once, so
// equal pairs are adjacent and sorted by (image, label). Tag S marks a forced
// occurrence. Never allocates anything of size N * C.
#include <algorithm>
#include <cstring>
#include <string>
#include <vector>

#include "args.h"
#include "registry.h"

namespace realabel {
namespace {

// LSD radix sort on the low `bits` bits with 11-bit digits; skips digits that
// are equal for every key.
void RadixSort(std::vector<uint64_t>& keys, int bits) {
  const int kDigit = 11;
  const size_t kBuckets = size_t{1} << kDigit;
  std::vector<uint64_t> tmp(keys.size());
  std::vector<size_t> count(kBuckets);
  for (int shift = 0; shift < bits; shift += kDigit) {
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

struct PoolInput {
  int64_t n, c, models;
  const int32_t *srcImage, *srcLabel, *srcOffsets, *srcModel;
  int64_t sources;
  const int32_t* forced;
  int64_t forcedRows;
  int64_t minVotes;
};

// Encodes every occurrence; forced labels are de-duplicated per image first
// (they are mostly equal across models), so they cost O(N * distinct).
std::vector<uint64_t> Encode(Napi::Env env, const PoolInput& in) {
  const int tagBits = BitsFor(static_cast<uint64_t>(in.sources));
  std::vector<uint64_t> keys;
  keys.reserve(static_cast<size_t>(in.srcOffsets[in.sources]) + static_cast<size_t>(in.n) * 2);
  for (int64_t s = 0; s < in.sources; ++s) {
    for (int32_t j = in.srcOffsets[s]; j < in.srcOffsets[s + 1]; ++j) {
      int32_t im = in.srcImage[j], lb = in.srcLabel[j];
      if (im < 0 || im >= in.n || lb < 0 || lb >= in.c) {
        throw RangeErr(env, "source " + std::to_string(s) + ", pair " + std::to_string(j - in.srcOffsets[s]) +
                                ": (image " + std::to_string(im) + ", label " + std::to_string(lb) +
                                ") is outside [0, " + std::to_string(in.n) + ") x [0, " + std::to_string(in.c) + ")");
      }
      keys.push_back((static_cast<uint64_t>(im) * in.c + lb) << tagBits | static_cast<uint64_t>(s));
    }
  }
  std::vector<int32_t> row(static_cast<size_t>(in.forcedRows));
  for (int64_t i = 0; i < in.n; ++i) {
    for (int64_t f = 0; f < in.forcedRows; ++f) {
      int32_t lb = in.forced[f * in.n + i];
      if (lb < 0 || lb >= in.c) {
        throw RangeErr(env, "forced row " + std::to_string(f) + ", image " + std::to_string(i) + ": label " +
                                std::to_string(lb) + " is outside [0, " + std::to_string(in.c) + ")");
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

Napi::Value PoolPairs(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  PoolInput in{};
  in.n = ArgInt(info, 0, "n", 1, INT32_MAX);
  in.c = ArgInt(info, 1, "c", 1, INT32_MAX);
  in.models = ArgInt(info, 2, "models", 1, 1 << 20);
  auto srcImage = ArgArray<int32_t>(info, 3, "srcImage");
  auto srcLabel = ArgArray<int32_t>(info, 4, "srcLabel");
  auto srcOffsets = ArgArray<int32_t>(info, 5, "srcOffsets");
  auto srcModel = ArgArray<int32_t>(info, 6, "srcModel");
  auto forced = ArgArray<int32_t>(info, 7, "forced");
  in.minVotes = ArgInt(info, 8, "minVotes", 1, INT32_MAX);

  in.sources = static_cast<int64_t>(srcModel.ElementLength());
  in.srcImage = srcImage.Data();
  in.srcLabel = srcLabel.Data();
  in.srcOffsets = srcOffsets.Data();
  in.srcModel = srcModel.Data();
  in.forced = forced.Data();
  if (srcOffsets.ElementLength() != static_cast<size_t>(in.sources) + 1) {
    throw RangeErr(env, "srcOffsets: expected " + std::to_string(in.sources + 1) + " entries");
  }
  if (srcImage.ElementLength() != srcLabel.ElementLength()) throw RangeErr(env, "srcImage and srcLabel differ in length");
  if (in.srcOffsets[0] != 0 || static_cast<size_t>(in.srcOffsets[in.sources]) != srcImage.ElementLength()) {
    throw RangeErr(env, "srcOffsets must start at 0 and end at the number of pairs");
  }
  for (int64_t s = 0; s < in.sources; ++s) {
    if (in.srcOffsets[s + 1] < in.srcOffsets[s]) throw RangeErr(env, "srcOffsets must be non-decreasing");
    if (in.srcModel[s] < 0 || in.srcModel[s] >= in.models) {
      throw RangeErr(env, "srcModel[" + std::to_string(s) + "] = " + std::to_string(in.srcModel[s]) + " is out of range");
    }
  }
  if (forced.ElementLength() % static_cast<size_t>(in.n) != 0) {
    throw RangeErr(env, "forced: length must be a multiple of n");
  }
  in.forcedRows = static_cast<int64_t>(forced.ElementLength()) / in.n;
  const int tagBits = BitsFor(static_cast<uint64_t>(in.sources));
  const uint64_t forcedTag = static_cast<uint64_t>(in.sources);
  const uint64_t tagMask = (uint64_t{1} << tagBits) - 1;
  // (n * c) << tagBits must fit in 64 bits; check with doubles before shifting.
  if (static_cast<double>(in.n) * static_cast<double>(in.c) * static_cast<double>(uint64_t{1} << tagBits) >= 1.8e19) {
    throw RangeErr(env, "n * c * 2^ceil(log2(sources + 1)) is too large to encode in 64 bits");
  }

  // Planes: plane j has bit m set when >= j + 1 sources of model m propose the pair.
  std::vector<int> perModel(static_cast<size_t>(in.models), 0);
  for (int64_t s = 0; s < in.sources; ++s) ++perModel[in.srcModel[s]];
  const int planes = std::max(1, *std::max_element(perModel.begin(), perModel.end()));
  const int64_t words = (in.models + 31) / 32;

  std::vector<uint64_t> keys = Encode(env, in);
  RadixSort(keys, BitsFor(static_cast<uint64_t>(in.n) * in.c - 1) + tagBits);

  // Pass 1: count kept pairs.
  std::vector<size_t> starts;
  for (size_t b = 0; b < keys.size();) {
    size_t e = b + 1;
    while (e < keys.size() && (keys[e] >> tagBits) == (keys[b] >> tagBits)) ++e;
    Group g = Inspect(keys, b, e, tagBits, forcedTag);
    if (g.forced || g.votes >= in.minVotes) starts.push_back(b);
    b = e;
  }
  const size_t P = starts.size();
  auto outImage = Napi::Int32Array::New(env, P);
  auto outLabel = Napi::Int32Array::New(env, P);
  auto outVotes = Napi::Int32Array::New(env, P);
  auto outMasks = Napi::Uint32Array::New(env, P * words * planes);
  int32_t* image = outImage.Data();
  int32_t* label = outLabel.Data();
  int32_t* votes = outVotes.Data();
  uint32_t* masks = outMasks.Data();
  std::memset(masks, 0, P * words * planes * sizeof(uint32_t));

  // Pass 2: fill. Masks layout: [plane][pair][word].
  std::vector<int> count(static_cast<size_t>(in.models), 0);
  for (size_t p = 0; p < P; ++p) {
    size_t b = starts[p], e = b + 1;
    while (e < keys.size() && (keys[e] >> tagBits) == (keys[b] >> tagBits)) ++e;
    uint64_t flat = keys[b] >> tagBits;
    image[p] = static_cast<int32_t>(flat / in.c);
    label[p] = static_cast<int32_t>(flat % in.c);
    Group g = Inspect(keys, b, e, tagBits, forcedTag);
    votes[p] = static_cast<int32_t>(g.votes);
    uint64_t prev = ~uint64_t{0};
    for (size_t j = b; j < e; ++j) {
      uint64_t tag = keys[j] & tagMask;
      if (tag == prev || tag == forcedTag) continue;
      prev = tag;
      int m = in.srcModel[tag];
      int plane = count[m]++;
      masks[(plane * P + p) * words + m / 32] |= uint32_t{1} << (m % 32);
    }
    for (size_t j = b; j < e; ++j) {
      uint64_t tag = keys[j] & tagMask;
      if (tag != forcedTag) count[in.srcModel[tag]] = 0;
    }
  }

  Napi::Object out = Napi::Object::New(env);
  out.Set("image", outImage);
  out.Set("label", outLabel);
  out.Set("votes", outVotes);
  out.Set("masks", outMasks);
  out.Set("planes", Napi::Number::New(env, planes));
  out.Set("words", Napi::Number::New(env, static_cast<double>(words)));
  return out;
}

}  // namespace
}  // namespace realabel

using realabel::PoolPairs;
REALABEL_EXPORT("poolPairs", PoolPairs);
