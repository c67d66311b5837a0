#include "io_core.h"

#include <new>
#include <stdexcept>

#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
#include <immintrin.h>
#define REALABEL_CRC_PCLMUL 1
#endif

namespace realabel {
namespace io {

#ifdef REALABEL_CRC_PCLMUL
namespace {

// acc * k (two 64-bit halves, carry-less) + next: one 128-bit fold step.
__attribute__((target("sse4.1,pclmul"))) inline __m128i Fold(__m128i acc, __m128i k, __m128i next) {
  const __m128i lo = _mm_clmulepi64_si128(acc, k, 0x00);
  return _mm_xor_si128(_mm_xor_si128(_mm_clmulepi64_si128(acc, k, 0x11), next), lo);
}

inline __m128i Load(const uint8_t* p) { return _mm_loadu_si128(reinterpret_cast<const __m128i*>(p)); }

// Carry-less multiplication folding (Gopal et al., "Fast CRC Computation for
// Generic Polynomials Using PCLMULQDQ", Intel 2009), bit-reflected constants
// for the zlib polynomial 0xEDB88320. Takes the inverted crc, len >= 64 and a
// multiple of 16; returns the inverted crc.
__attribute__((target("sse4.1,pclmul"))) uint32_t FoldCrc(const uint8_t* buf, size_t len, uint32_t crc) {
  alignas(16) static const uint64_t k1k2[] = {0x0154442bd4, 0x01c6e41596};
  alignas(16) static const uint64_t k3k4[] = {0x01751997d0, 0x00ccaa009e};
  alignas(16) static const uint64_t k5k0[] = {0x0163cd6124, 0x0000000000};
  alignas(16) static const uint64_t poly[] = {0x01db710641, 0x01f7011641};
  __m128i x1 = Load(buf), x2 = Load(buf + 16), x3 = Load(buf + 32), x4 = Load(buf + 48);
  x1 = _mm_xor_si128(x1, _mm_cvtsi32_si128(static_cast<int>(crc)));
  __m128i x0 = _mm_load_si128(reinterpret_cast<const __m128i*>(k1k2));
  buf += 64;
  len -= 64;
  while (len >= 64) {  // four lanes of 128 bits, folded 512 bits ahead
    x1 = Fold(x1, x0, Load(buf));
    x2 = Fold(x2, x0, Load(buf + 16));
    x3 = Fold(x3, x0, Load(buf + 32));
    x4 = Fold(x4, x0, Load(buf + 48));
    buf += 64;
    len -= 64;
  }
  x0 = _mm_load_si128(reinterpret_cast<const __m128i*>(k3k4));
  x1 = Fold(x1, x0, x2);
  x1 = Fold(x1, x0, x3);
  x1 = Fold(x1, x0, x4);
  while (len >= 16) {
    x1 = Fold(x1, x0, Load(buf));
    buf += 16;
    len -= 16;
  }
  // 128 -> 64 bits.
  x2 = _mm_clmulepi64_si128(x1, x0, 0x10);
  x3 = _mm_setr_epi32(~0, 0, ~0, 0);
  x1 = _mm_xor_si128(_mm_srli_si128(x1, 8), x2);
  x0 = _mm_loadl_epi64(reinterpret_cast<const __m128i*>(k5k0));
  x2 = _mm_srli_si128(x1, 4);
  x1 = _mm_xor_si128(_mm_clmulepi64_si128(_mm_and_si128(x1, x3), x0, 0x00), x2);
  // Barrett reduction to 32 bits.
  x0 = _mm_load_si128(reinterpret_cast<const __m128i*>(poly));
  x2 = _mm_clmulepi64_si128(_mm_and_si128(x1, x3), x0, 0x10);
  x2 = _mm_clmulepi64_si128(_mm_and_si128(x2, x3), x0, 0x00);
  x1 = _mm_xor_si128(x1, x2);
  return static_cast<uint32_t>(_mm_extract_epi32(x1, 1));
}

bool HasPclmul() {
  static const bool has = __builtin_cpu_supports("pclmul") && __builtin_cpu_supports("sse4.1");
  return has;
}

}  // namespace
#endif

uint32_t Crc32(uint32_t crc, const uint8_t* buf, size_t len) {
#ifdef REALABEL_CRC_PCLMUL
  if (len >= 64 && HasPclmul()) {
    const size_t body = len & ~size_t{15};
    crc = ~FoldCrc(buf, body, ~crc);
    buf += body;
    len -= body;
  }
#endif
  while (len > 0) {  // zlib takes at most 4 GiB per call
    const uInt n = len > 0x40000000u ? 0x40000000u : static_cast<uInt>(len);
    crc = static_cast<uint32_t>(crc32(crc, buf, n));
    buf += n;
    len -= n;
  }
  return crc;
}

Inflater::Inflater() {
  if (inflateInit2(&z_, -15) != Z_OK) throw std::bad_alloc();
}

Inflater::~Inflater() { inflateEnd(&z_); }

Inflater::Step Inflater::Run(const uint8_t* in, size_t inLen, uint8_t* out, size_t outLen) {
  Step s;
  if (ended_) {
    s.ended = true;
    return s;
  }
  // zlib counts in uInt; larger spans are done in several calls by the caller.
  const uInt maxIn = inLen > 0x40000000u ? 0x40000000u : static_cast<uInt>(inLen);
  const uInt maxOut = outLen > 0x40000000u ? 0x40000000u : static_cast<uInt>(outLen);
  z_.next_in = const_cast<Bytef*>(in);
  z_.avail_in = maxIn;
  z_.next_out = out;
  z_.avail_out = maxOut;
  const int rc = inflate(&z_, Z_NO_FLUSH);
  s.consumed = maxIn - z_.avail_in;
  s.produced = maxOut - z_.avail_out;
  if (rc == Z_STREAM_END) {
    ended_ = true;
    s.ended = true;
  } else if (rc == Z_BUF_ERROR) {
    // No progress possible: needs more input or more output space; the caller decides.
  } else if (rc != Z_OK) {
    throw std::runtime_error(z_.msg ? z_.msg : (rc == Z_MEM_ERROR ? "out of memory" : "invalid deflate data"));
  }
  return s;
}

Deflater::Deflater(int level) {
  if (deflateInit2(&z_, level, Z_DEFLATED, -15, 8, Z_DEFAULT_STRATEGY) != Z_OK) throw std::bad_alloc();
}

Deflater::~Deflater() { deflateEnd(&z_); }

Inflater::Step Deflater::Run(const uint8_t* in, size_t inLen, uint8_t* out, size_t outLen, bool finish) {
  Inflater::Step s;
  if (ended_) {
    s.ended = true;
    return s;
  }
  const uInt maxIn = inLen > 0x40000000u ? 0x40000000u : static_cast<uInt>(inLen);
  const uInt maxOut = outLen > 0x40000000u ? 0x40000000u : static_cast<uInt>(outLen);
  z_.next_in = const_cast<Bytef*>(in);
  z_.avail_in = maxIn;
  z_.next_out = out;
  z_.avail_out = maxOut;
  // Finish only once the caller's last input fits in this call.
  const int rc = deflate(&z_, finish && maxIn == inLen ? Z_FINISH : Z_NO_FLUSH);
  s.consumed = maxIn - z_.avail_in;
  s.produced = maxOut - z_.avail_out;
  if (rc == Z_STREAM_END) {
    ended_ = true;
    s.ended = true;
  } else if (rc != Z_OK && rc != Z_BUF_ERROR) {
    throw std::runtime_error(z_.msg ? z_.msg : "deflate failed");
  }
  return s;
}

}  // namespace io
}  // namespace realabel
