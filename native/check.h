// Errors of the kernels' C++ cores, free of Node-API so that the same checks
// run under the bindings (kernel.h turns them into JS errors with a `code`),
// the standalone checks and the libFuzzer entries (native/fuzz/). A core
// validates everything it is given, sizes against buffer lengths included,
// before touching memory, and sizes every allocation by the data it was
// given, never by a claimed dimension alone (docs/limits.md).
#pragma once
#include <cmath>
#include <cstdint>
#include <exception>
#include <string>
#include <utility>

namespace realabel {

// A bad argument: the message says which and why (a JS RangeError, code
// E_ARGUMENT).
class ArgError : public std::exception {
 public:
  explicit ArgError(std::string message) : message_(std::move(message)) {}
  const char* what() const noexcept override { return message_.c_str(); }

 private:
  std::string message_;
};

// Bad data found while running (a JS RangeError with `code` and the position
// as fields, so the TS side never parses the message): E_NOT_FINITE (row,
// column, value) or E_NAN (row).
class DataError : public std::exception {
 public:
  DataError(const char* code, std::string message, int64_t row, int64_t column = -1, double value = 0)
      : code_(code), message_(std::move(message)), row_(row), column_(column), value_(value) {}
  const char* what() const noexcept override { return message_.c_str(); }
  const char* code() const { return code_; }
  int64_t row() const { return row_; }
  int64_t column() const { return column_; }  // -1: not known
  double value() const { return value_; }

 private:
  const char* code_;
  std::string message_;
  int64_t row_, column_;
  double value_;
};

// "what = x is out of range [lo, hi]", the message of args.h's Int.
inline void CheckRange(const char* what, int64_t x, int64_t lo, int64_t hi) {
  if (x < lo || x > hi) {
    throw ArgError(std::string(what) + " = " + std::to_string(x) + " is out of range [" + std::to_string(lo) + ", " +
                   std::to_string(hi) + "]");
  }
}

}  // namespace realabel
