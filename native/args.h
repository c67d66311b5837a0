// Argument checks shared by the kernels. Every check throws a JS error (via
// NAPI_CPP_EXCEPTIONS) instead of letting bad input reach the kernels.
#pragma once
#include <napi.h>
#include <cmath>
#include <cstdint>
#include <string>

#include "check.h"

namespace realabel {

inline Napi::Error TypeErr(Napi::Env env, const std::string& msg) {
  return Napi::TypeError::New(env, msg);
}
inline Napi::Error RangeErr(Napi::Env env, const std::string& msg) {
  return Napi::RangeError::New(env, msg);
}

template <typename T>
struct TypedArrayTraits;
#define REALABEL_TA(T, KIND, NAME) \
  template <> struct TypedArrayTraits<T> { static constexpr napi_typedarray_type kind = KIND; static constexpr const char* name = NAME; };
REALABEL_TA(float, napi_float32_array, "Float32Array")
REALABEL_TA(double, napi_float64_array, "Float64Array")
REALABEL_TA(int32_t, napi_int32_array, "Int32Array")
REALABEL_TA(uint32_t, napi_uint32_array, "Uint32Array")
REALABEL_TA(uint16_t, napi_uint16_array, "Uint16Array")
REALABEL_TA(uint8_t, napi_uint8_array, "Uint8Array")
REALABEL_TA(int8_t, napi_int8_array, "Int8Array")
REALABEL_TA(int64_t, napi_bigint64_array, "BigInt64Array")
#undef REALABEL_TA

// A typed-array argument of exactly element type T.
template <typename T>
Napi::TypedArrayOf<T> ArgArray(const Napi::CallbackInfo& info, size_t i, const char* what) {
  Napi::Env env = info.Env();
  if (info.Length() <= i || !info[i].IsTypedArray()) {
    throw TypeErr(env, std::string(what) + ": expected a " + TypedArrayTraits<T>::name);
  }
  Napi::TypedArray ta = info[i].As<Napi::TypedArray>();
  if (ta.TypedArrayType() != TypedArrayTraits<T>::kind) {
    throw TypeErr(env, std::string(what) + ": expected a " + TypedArrayTraits<T>::name);
  }
  return ta.As<Napi::TypedArrayOf<T>>();
}

// An integer argument in [lo, hi].
inline int64_t ArgInt(const Napi::CallbackInfo& info, size_t i, const char* what, int64_t lo, int64_t hi) {
  Napi::Env env = info.Env();
  if (info.Length() <= i || !info[i].IsNumber()) throw TypeErr(env, std::string(what) + ": expected a number");
  double v = info[i].As<Napi::Number>().DoubleValue();
  // Range-check before the cast: converting NaN or |v| >= 2^63 is undefined.
  if (!(v > -9.2e18 && v < 9.2e18) || v != std::floor(v)) {
    throw TypeErr(env, std::string(what) + ": expected an integer");
  }
  int64_t x = static_cast<int64_t>(v);
  if (x < lo || x > hi) {
    throw RangeErr(env, std::string(what) + " = " + std::to_string(x) + " is out of range [" + std::to_string(lo) + ", " +
                            std::to_string(hi) + "]");
  }
  return x;
}

// Bounds for ArgInt when the core checks the range itself (ArgInt still
// rejects non-integers and magnitudes of 2^63 and more).
constexpr struct {
  int64_t lo = INT64_MIN;
  int64_t hi = INT64_MAX;
} kAnyInt{};

// Runs a core's check, turning its ArgError into a JS RangeError.
template <typename Fn>
void Checked(Napi::Env env, Fn&& check) {
  try {
    check();
  } catch (const ArgError& e) {
    throw RangeErr(env, e.what());
  }
}

inline double ArgDouble(const Napi::CallbackInfo& info, size_t i, const char* what) {
  if (info.Length() <= i || !info[i].IsNumber()) throw TypeErr(info.Env(), std::string(what) + ": expected a number");
  return info[i].As<Napi::Number>().DoubleValue();
}

}  // namespace realabel
