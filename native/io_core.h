// Streaming inflate, deflate and CRC-32 for .npz members, free of Node-API (io.cc binds it).
// Node's zlib streams hand out a fresh buffer per output chunk, and first
// touch of fresh memory is the dominant cost of reading on the development
// machine (about 4-7 ms per MB, huge pages or not; see docs/io.md). Inflater
// runs zlib (the copy inside Node, whose symbols every addon can use) into a
// caller's reused buffer, so a 377 MB member streams through a few MB of
// cache-resident memory.
#pragma once
#include <cstddef>
#include <cstdint>
#include <string>

#include <zlib.h>

namespace realabel {
namespace io {

// CRC-32 (zlib's) of buf continued from crc. PCLMUL folding where the CPU
// has it (about 10x zlib's table-driven crc32, which took longer than
// inflating raters.npz), else zlib's crc32.
uint32_t Crc32(uint32_t crc, const uint8_t* buf, size_t len);

// Raw-deflate stream decoder with bounded output per call.
class Inflater {
 public:
  Inflater();
  ~Inflater();
  Inflater(const Inflater&) = delete;
  Inflater& operator=(const Inflater&) = delete;

  struct Step {
    size_t consumed = 0;  // input bytes used
    size_t produced = 0;  // output bytes written
    bool ended = false;   // the deflate stream is complete
  };
  // Decodes from in[0, inLen) into out[0, outLen). Throws std::runtime_error
  // with zlib's message on corrupt data.
  Step Run(const uint8_t* in, size_t inLen, uint8_t* out, size_t outLen);

 private:
  z_stream z_{};
  bool ended_ = false;
};

// Raw-deflate stream encoder (windowBits -15, memLevel 8, default
// strategy: Node's deflateRawSync settings, so with the same zlib the bytes
// are the same as a one-shot deflate of the concatenated input).
class Deflater {
 public:
  explicit Deflater(int level);
  ~Deflater();
  Deflater(const Deflater&) = delete;
  Deflater& operator=(const Deflater&) = delete;

  // Encodes in[0, inLen) into out[0, outLen); `finish` ends the stream once
  // all input is in (call again while !ended). Throws std::runtime_error.
  Inflater::Step Run(const uint8_t* in, size_t inLen, uint8_t* out, size_t outLen, bool finish);

 private:
  z_stream z_{};
  bool ended_ = false;
};

}  // namespace io
}  // namespace realabel
