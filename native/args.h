// Argument helpers shared by every binding: the one convention for reading
// JS arguments. Each check throws a JS TypeError or RangeError (code
// E_ARGUMENT) before any kernel touches memory. An `Args` made for an async
// call keeps a reference to every argument it hands out (and to the
// top-level arguments), so the typed arrays stay alive while a worker thread
// reads them in place: no copy.
#pragma once
#include <napi.h>

#include <cmath>
#include <cstdint>
#include <string>
#include <vector>

#include "check.h"

namespace realabel {

// A JS error with a machine-readable `code` (src/native/errors.ts reads it).
inline Napi::Error CodedError(Napi::Error e, const char* code) {
  e.Set("code", Napi::String::New(e.Env(), code));
  return e;
}
inline Napi::Error TypeErr(Napi::Env env, const std::string& msg) {
  return CodedError(Napi::TypeError::New(env, msg), "E_ARGUMENT");
}
inline Napi::Error RangeErr(Napi::Env env, const std::string& msg) {
  return CodedError(Napi::RangeError::New(env, msg), "E_ARGUMENT");
}

template <typename T>
struct TypedArrayTraits;
#define REALABEL_TA(T, KIND, NAME)                               \
  template <>                                                    \
  struct TypedArrayTraits<T> {                                   \
    static constexpr napi_typedarray_type kind = KIND;           \
    static constexpr const char* name = NAME;                    \
  };
REALABEL_TA(float, napi_float32_array, "Float32Array")
REALABEL_TA(double, napi_float64_array, "Float64Array")
REALABEL_TA(int32_t, napi_int32_array, "Int32Array")
REALABEL_TA(uint32_t, napi_uint32_array, "Uint32Array")
REALABEL_TA(uint16_t, napi_uint16_array, "Uint16Array")
REALABEL_TA(uint8_t, napi_uint8_array, "Uint8Array")
REALABEL_TA(int8_t, napi_int8_array, "Int8Array")
REALABEL_TA(int64_t, napi_bigint64_array, "BigInt64Array")
#undef REALABEL_TA

// A typed array's data as plain C++ (valid while the array is referenced).
template <typename T>
struct View {
  T* data = nullptr;
  int64_t length = 0;
};

// A Float32Array or Float64Array.
struct FloatView {
  const float* f32 = nullptr;
  const double* f64 = nullptr;
  int64_t length = 0;
};

// Bounds for Int when the core checks the range itself (Int still rejects
// non-integers and magnitudes of 2^63 and more).
constexpr int64_t kAnyLo = INT64_MIN;
constexpr int64_t kAnyHi = INT64_MAX;

class Args {
 public:
  // `count` arguments of info are the kernel's (an async call's last one is its abort flag).
  Args(const Napi::CallbackInfo& info, size_t count, bool keep) : info_(info), count_(count), keep_(keep) {
    if (keep_) {
      for (size_t i = 0; i < count_ && i < info_.Length(); ++i) Keep(info_[i]);
    }
  }

  Napi::Env Env() const { return info_.Env(); }
  size_t Length() const { return count_ < info_.Length() ? count_ : info_.Length(); }
  Napi::Value At(size_t i) const { return i < Length() ? info_[i] : Env().Undefined(); }

  // A typed-array argument of exactly element type T.
  template <typename T>
  View<T> Array(size_t i, const char* what) {
    return ArrayOf<T>(At(i), what);
  }

  // A typed array of element type T in obj[key] ("what.key" in messages).
  template <typename T>
  View<T> Prop(const Napi::Object& obj, const char* key, const std::string& what) {
    return ArrayOf<T>(obj.Get(key), (what + "." + key).c_str());
  }

  FloatView Floats(size_t i, const char* what) {
    Napi::Value v = At(i);
    if (v.IsTypedArray()) {
      Napi::TypedArray ta = v.As<Napi::TypedArray>();
      FloatView m;
      m.length = static_cast<int64_t>(ta.ElementLength());
      if (ta.TypedArrayType() == napi_float32_array) {
        m.f32 = ta.As<Napi::Float32Array>().Data();
        Keep(v);
        return m;
      }
      if (ta.TypedArrayType() == napi_float64_array) {
        m.f64 = ta.As<Napi::Float64Array>().Data();
        Keep(v);
        return m;
      }
    }
    throw TypeErr(Env(), std::string(what) + ": expected a Float32Array or Float64Array");
  }

  // An integer argument in [lo, hi].
  int64_t Int(size_t i, const char* what, int64_t lo = kAnyLo, int64_t hi = kAnyHi) {
    Napi::Value v = At(i);
    if (!v.IsNumber()) throw TypeErr(Env(), std::string(what) + ": expected a number");
    const double d = v.As<Napi::Number>().DoubleValue();
    // Range-check before the cast: converting NaN or |d| >= 2^63 is undefined.
    if (!(d > -9.2e18 && d < 9.2e18) || d != std::floor(d)) {
      throw TypeErr(Env(), std::string(what) + ": expected an integer");
    }
    const int64_t x = static_cast<int64_t>(d);
    if (x < lo || x > hi) {
      throw RangeErr(Env(), std::string(what) + " = " + std::to_string(x) + " is out of range [" + std::to_string(lo) +
                                ", " + std::to_string(hi) + "]");
    }
    return x;
  }

  // A thread count in [0, 1024] (0 = every core).
  int Threads(size_t i) { return static_cast<int>(Int(i, "threads", 0, 1024)); }

  double Double(size_t i, const char* what) {
    Napi::Value v = At(i);
    if (!v.IsNumber()) throw TypeErr(Env(), std::string(what) + ": expected a number");
    return v.As<Napi::Number>().DoubleValue();
  }

  bool Bool(size_t i, const char* what) {
    Napi::Value v = At(i);
    if (!v.IsBoolean()) throw TypeErr(Env(), std::string(what) + ": expected a boolean");
    return v.As<Napi::Boolean>().Value();
  }

  Napi::Object Object(size_t i, const char* what) {
    Napi::Value v = At(i);
    if (!v.IsObject()) throw TypeErr(Env(), std::string(what) + ": expected an object");
    return v.As<Napi::Object>();
  }

  // obj[key], an integer in [lo, hi].
  int64_t PropInt(const Napi::Object& obj, const char* key, const std::string& what, int64_t lo, int64_t hi) {
    Napi::Value v = obj.Get(key);
    if (!v.IsNumber()) throw TypeErr(Env(), what + "." + key + ": expected a number");
    const double d = v.As<Napi::Number>().DoubleValue();
    if (!(d >= static_cast<double>(lo) && d <= static_cast<double>(hi)) || d != std::floor(d)) {
      throw RangeErr(Env(), what + "." + key + " = " + std::to_string(d) + " must be an integer in [" +
                                std::to_string(lo) + ", " + std::to_string(hi) + "]");
    }
    return static_cast<int64_t>(d);
  }

  // obj[key], a finite number >= lo, or dflt when absent.
  double PropDouble(const Napi::Object& obj, const char* key, const std::string& what, double lo, double dflt) {
    Napi::Value v = obj.Get(key);
    if (v.IsUndefined()) return dflt;
    if (!v.IsNumber()) throw TypeErr(Env(), what + "." + key + ": expected a number");
    const double d = v.As<Napi::Number>().DoubleValue();
    if (!std::isfinite(d) || d < lo) {
      throw RangeErr(Env(), what + "." + key + " must be a finite number >= " + std::to_string(lo));
    }
    return d;
  }

  // Keeps v alive until this Args is destroyed (async calls only).
  void Keep(Napi::Value v) {
    if (keep_ && (v.IsObject() || v.IsExternal())) kept_.push_back(Napi::Persistent(v));
  }

 private:
  template <typename T>
  View<T> ArrayOf(Napi::Value v, const char* what) {
    if (!v.IsTypedArray() || v.As<Napi::TypedArray>().TypedArrayType() != TypedArrayTraits<T>::kind) {
      throw TypeErr(Env(), std::string(what) + ": expected a " + TypedArrayTraits<T>::name);
    }
    auto ta = v.As<Napi::TypedArrayOf<T>>();
    Keep(v);
    return View<T>{ta.Data(), static_cast<int64_t>(ta.ElementLength())};
  }

  const Napi::CallbackInfo& info_;
  size_t count_;
  bool keep_;
  std::vector<Napi::Reference<Napi::Value>> kept_;
};

// Free-function forms of Args' readers, for bindings not (yet) written as
// jobs (native/cuda/binding.cc). Same checks and messages.
template <typename T>
Napi::TypedArrayOf<T> ArgArray(const Napi::CallbackInfo& info, size_t i, const char* what) {
  if (info.Length() <= i || !info[i].IsTypedArray() ||
      info[i].As<Napi::TypedArray>().TypedArrayType() != TypedArrayTraits<T>::kind) {
    throw TypeErr(info.Env(), std::string(what) + ": expected a " + TypedArrayTraits<T>::name);
  }
  return info[i].As<Napi::TypedArrayOf<T>>();
}
inline int64_t ArgInt(const Napi::CallbackInfo& info, size_t i, const char* what, int64_t lo, int64_t hi) {
  Args args(info, info.Length(), false);
  return args.Int(i, what, lo, hi);
}
constexpr struct {
  int64_t lo = kAnyLo;
  int64_t hi = kAnyHi;
} kAnyInt{};
// Runs a core's check, turning its ArgError into a coded JS RangeError.
template <typename Fn>
void Checked(Napi::Env env, Fn&& check) {
  try {
    check();
  } catch (const ArgError& e) {
    throw RangeErr(env, e.what());
  }
}

// New typed arrays holding a copy of C++ results (made on the JS thread).
template <typename T>
Napi::TypedArrayOf<T> NewArray(Napi::Env env, const T* data, size_t n) {
  auto out = Napi::TypedArrayOf<T>::New(env, n);
  if (n > 0) std::copy(data, data + n, out.Data());
  return out;
}
template <typename T>
Napi::TypedArrayOf<T> NewArray(Napi::Env env, const std::vector<T>& v) {
  return NewArray(env, v.data(), v.size());
}

}  // namespace realabel
