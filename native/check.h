// Argument validation of the kernels' C++ cores, free of Node-API so that the
// same checks run under the bindings (which turn ArgError into a JS
// RangeError), the standalone checks and the libFuzzer entries
// (native/fuzz/). A core validates everything it is given, sizes against
// buffer lengths included, before touching memory.
#pragma once
#include <cmath>
#include <cstdint>
#include <exception>
#include <string>
#include <utility>

namespace realabel {

// A bad argument: the message says which and why (a JS RangeError).
class ArgError : public std::exception {
 public:
  explicit ArgError(std::string message) : message_(std::move(message)) {}
  const char* what() const noexcept override { return message_.c_str(); }

 private:
  std::string message_;
};

// "what = x is out of range [lo, hi]", the message of args.h's ArgInt.
inline void CheckRange(const char* what, int64_t x, int64_t lo, int64_t hi) {
  if (x < lo || x > hi) {
    throw ArgError(std::string(what) + " = " + std::to_string(x) + " is out of range [" + std::to_string(lo) + ", " +
                   std::to_string(hi) + "]");
  }
}

}  // namespace realabel
