// libFuzzer entry: pooling of proposals (pool_core.h). Checks lying n, c,
// models, offsets and lengths; every accepted call is compared with a
// brute-force pooling (a map from (image, label) to the sources listing it).
#include <algorithm>
#include <map>
#include <set>
#include <utility>
#include <vector>

#include "../pool_core.h"
#include "fuzz_util.h"

using namespace realabel;
using realabel::fuzz::Claim;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  FuzzedDataProvider fdp(data, size);
  const int64_t n0 = fdp.ConsumeIntegralInRange<int64_t>(1, 12), c0 = fdp.ConsumeIntegralInRange<int64_t>(1, 12);
  const int64_t models0 = fdp.ConsumeIntegralInRange<int64_t>(1, 40);
  const int64_t sources0 = fdp.ConsumeIntegralInRange<int64_t>(0, 6);
  std::vector<int32_t> offsets{0}, model, image, label;
  for (int64_t s = 0; s < sources0; ++s) {
    const int count = fdp.ConsumeIntegralInRange<int>(0, 10);
    for (int j = 0; j < count; ++j) {
      image.push_back(fdp.ConsumeIntegralInRange<int32_t>(0, static_cast<int32_t>(n0 - 1)));
      label.push_back(fdp.ConsumeIntegralInRange<int32_t>(0, static_cast<int32_t>(c0 - 1)));
    }
    offsets.push_back(static_cast<int32_t>(image.size()));
    model.push_back(fdp.ConsumeIntegralInRange<int32_t>(0, static_cast<int32_t>(models0 - 1)));
  }
  const int forcedRows = fdp.ConsumeIntegralInRange<int>(0, 3);
  std::vector<int32_t> forced(static_cast<size_t>(forcedRows * n0));
  for (int32_t& f : forced) f = fdp.ConsumeIntegralInRange<int32_t>(0, static_cast<int32_t>(c0 - 1));
  // Lies: sizes, then (rarely) single entries.
  pool::Input in;
  in.n = Claim(fdp, n0);
  in.c = Claim(fdp, c0);
  in.models = Claim(fdp, models0);
  in.minVotes = Claim(fdp, fdp.ConsumeIntegralInRange<int64_t>(1, 4));
  const auto poke = [&](std::vector<int32_t>& v) {
    if (!v.empty() && fdp.ConsumeIntegralInRange<int>(0, 15) == 0) {
      v[fdp.ConsumeIntegralInRange<size_t>(0, v.size() - 1)] = static_cast<int32_t>(Claim(fdp, -1));
    }
  };
  poke(image), poke(label), poke(offsets), poke(model), poke(forced);
  const auto len = [&](const std::vector<int32_t>& v) { return std::min<int64_t>(Claim(fdp, static_cast<int64_t>(v.size())) & 0xff, v.size()); };
  in.srcImage = image.data(), in.srcImageLen = len(image);
  in.srcLabel = label.data(), in.srcLabelLen = len(label);
  in.srcOffsets = offsets.data(), in.srcOffsetsLen = len(offsets);
  in.srcModel = model.data(), in.sources = len(model);
  in.forced = forced.data(), in.forcedLen = len(forced);
  try {
    pool::Check(in);
  } catch (const ArgError&) {
    return 0;
  }
  std::vector<int32_t> outImage, outLabel, outVotes;
  std::vector<uint32_t> masks;
  int planes = 0;
  int64_t words = 0;
  try {
    pool::Pooler p(in);
    const size_t P = p.pairs();
    planes = p.planes();
    words = p.words();
    outImage.resize(P), outLabel.resize(P), outVotes.resize(P);
    masks.assign(P * words * planes, 0xdeadbeef);
    p.Fill(outImage.data(), outLabel.data(), outVotes.data(), masks.data());
  } catch (const ArgError&) {
    // Only a pair or forced label out of range may fail here.
    bool outOfRange = false;
    for (int64_t j = 0; j < in.srcImageLen; ++j) outOfRange |= image[j] < 0 || image[j] >= in.n || label[j] < 0 || label[j] >= in.c;
    for (int64_t j = 0; j < in.forcedLen; ++j) outOfRange |= forced[j] < 0 || forced[j] >= in.c;
    FUZZ_EXPECT(outOfRange);
    return 0;
  }
  // Brute force: sources listing each pair, and forced pairs.
  std::map<std::pair<int64_t, int64_t>, std::set<int64_t>> listed;
  std::set<std::pair<int64_t, int64_t>> forcedPairs;
  for (int64_t s = 0; s < in.sources; ++s) {
    for (int32_t j = offsets[s]; j < offsets[s + 1]; ++j) listed[{image[j], label[j]}].insert(s);
  }
  for (int64_t j = 0; j < in.forcedLen; ++j) forcedPairs.insert({j % in.n, forced[j]});
  std::set<std::pair<int64_t, int64_t>> all(forcedPairs);
  for (auto& kv : listed) all.insert(kv.first);
  size_t p = 0;
  for (const auto& pair : all) {
    const std::set<int64_t>& srcs = listed[pair];
    const int64_t votes = static_cast<int64_t>(srcs.size());
    if (!forcedPairs.count(pair) && votes < in.minVotes) continue;
    FUZZ_EXPECT(p < outImage.size());
    FUZZ_EXPECT(outImage[p] == pair.first && outLabel[p] == pair.second && outVotes[p] == votes);
    std::map<int64_t, int> perModel;
    for (int64_t s : srcs) ++perModel[model[s]];
    for (int plane = 0; plane < planes; ++plane) {
      for (int64_t m = 0; m < in.models; ++m) {
        const bool bit = (masks[(plane * outImage.size() + p) * words + m / 32] >> (m % 32)) & 1;
        FUZZ_EXPECT(bit == (perModel[m] > plane));
      }
    }
    ++p;
  }
  FUZZ_EXPECT(p == outImage.size());
  return 0;
}
