// Helpers of the libFuzzer entries: argument values that are mostly
// consistent with the buffers the entry allocates, sometimes off by one, and
// sometimes absurd (the int32 / int64 / 2^53 boundaries), so that the cores'
// checks see every kind of lie the N-API layer could pass them.
#pragma once
#include <fuzzer/FuzzedDataProvider.h>

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <limits>

namespace realabel {
namespace fuzz {

// A failed expectation is a crash: libFuzzer saves the input that caused it.
#define FUZZ_EXPECT(cond)                                                              \
  do {                                                                                 \
    if (!(cond)) {                                                                     \
      std::fprintf(stderr, "%s:%d: expectation failed: %s\n", __FILE__, __LINE__, #cond); \
      std::abort();                                                                    \
    }                                                                                  \
  } while (0)

constexpr int64_t kBoundaries[] = {
    0,
    1,
    -1,
    2,
    INT32_MAX,
    int64_t{INT32_MAX} + 1,
    INT32_MIN,
    int64_t{1} << 32,
    int64_t{1} << 40,
    (int64_t{1} << 53) - 1,
    int64_t{1} << 53,
    (int64_t{1} << 53) + 1,
    int64_t{1} << 62,
    std::numeric_limits<int64_t>::max(),
    std::numeric_limits<int64_t>::min(),
    65536,
    65537,
    1 << 26,
};

// The consistent value `truth` most of the time; else truth +- 1, a boundary,
// or any int64.
inline int64_t Claim(FuzzedDataProvider& fdp, int64_t truth) {
  switch (fdp.ConsumeIntegralInRange<int>(0, 11)) {
    case 0:
      return truth + 1;
    case 1:
      return truth - 1;
    case 2:
    case 3:
      return fdp.PickValueInArray(kBoundaries);
    case 4:
      return fdp.ConsumeIntegral<int64_t>();
    default:
      return truth;
  }
}

// A small value set with ties, signed zeros and (rarely) non-finite values.
template <typename T>
T Value(FuzzedDataProvider& fdp, bool allowNonFinite) {
  const uint8_t b = fdp.ConsumeIntegral<uint8_t>();
  if (allowNonFinite && b >= 250) {
    const T specials[] = {std::numeric_limits<T>::quiet_NaN(), std::numeric_limits<T>::infinity(),
                          -std::numeric_limits<T>::infinity()};
    return specials[b % 3];
  }
  if (b >= 240) return b % 2 ? T(0) : -T(0);
  if (b >= 200) return static_cast<T>(fdp.ConsumeFloatingPointInRange<double>(-1e6, 1e6));
  return static_cast<T>(static_cast<int>(b % 16) - 8) / T(4);  // many exact ties
}

}  // namespace fuzz
}  // namespace realabel
