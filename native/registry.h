// The one export pattern. A kernel binding is a Job class:
//
//   explicit Job(Args& args);       JS thread: read and check the arguments
//   void Run();                     any thread: the work, on C++ memory and
//                                   the arguments' buffers only
//   Napi::Value Result(Napi::Env);  JS thread: the JS result
//
// REALABEL_KERNEL("name", Job) exports `name(...)`, which runs the job on the
// calling thread, and `nameAsync(..., abort)`, which runs Run() as a
// Napi::AsyncWorker on libuv's thread pool and returns a Promise. `abort` is
// an Int32Array whose element 0 the caller sets (Atomics.store) to stop the
// kernel at its next block; the promise then rejects with code E_ABORTED.
// Small helpers with no heavy work use REALABEL_EXPORT("name", fn).
//
// Errors reach JS with a `code` (and fields, e.g. `row`), never as messages
// to parse: E_ARGUMENT (TypeError / RangeError), E_NOT_FINITE / E_NAN
// (RangeError with row, column, value), E_OUT_OF_MEMORY, E_ABORTED,
// E_STATE (a stream used out of order), E_NATIVE (anything else).
#pragma once
#include <napi.h>

#include <exception>
#include <memory>
#include <new>
#include <string>
#include <vector>

#include "args.h"
#include "check.h"
#include "parallel.h"

namespace realabel {

using ExportFn = Napi::Value (*)(const Napi::CallbackInfo&);

struct ExportEntry {
  const char* name;
  ExportFn fn;
};

std::vector<ExportEntry>& Registry();

struct Registrar {
  Registrar(const char* name, ExportFn fn) { Registry().push_back({name, fn}); }
};

// A misuse of a kernel's state (e.g. pushing to a finished stream): code E_STATE.
struct StateError : std::exception {
  explicit StateError(std::string m) : message(std::move(m)) {}
  const char* what() const noexcept override { return message.c_str(); }
  std::string message;
};

// A failure caught on any thread, turned into a JS error on the JS thread.
struct Failure {
  enum Kind { kRange, kError } kind = kError;
  std::string code, message, name;
  int64_t row = -1, column = -1;
  double value = 0;
  bool has_data = false;

  static Failure Make(Kind kind, std::string code, std::string message) {
    Failure f;
    f.kind = kind;
    f.code = std::move(code);
    f.message = std::move(message);
    return f;
  }

  static Failure From(std::exception_ptr p) {
    Failure f;
    try {
      std::rethrow_exception(p);
    } catch (const Aborted&) {
      f.code = "E_ABORTED";
      f.message = "the operation was aborted";
      f.name = "AbortError";
    } catch (const ArgError& e) {
      f = Make(kRange, "E_ARGUMENT", e.what());
    } catch (const DataError& e) {
      f = Make(kRange, e.code(), e.what());
      f.row = e.row();
      f.column = e.column();
      f.value = e.value();
      f.has_data = true;
    } catch (const StateError& e) {
      f = Make(kError, "E_STATE", e.what());
    } catch (const std::bad_alloc&) {
      f = Make(kRange, "E_OUT_OF_MEMORY", "out of memory");
    } catch (const std::exception& e) {
      f = Make(kError, "E_NATIVE", e.what());
    } catch (...) {
      f = Make(kError, "E_NATIVE", "unknown native error");
    }
    return f;
  }

  Napi::Error ToJs(Napi::Env env) const {
    Napi::Error e = kind == kRange ? Napi::Error(Napi::RangeError::New(env, message)) : Napi::Error::New(env, message);
    e.Set("code", Napi::String::New(env, code));
    if (!name.empty()) e.Set("name", Napi::String::New(env, name));
    if (has_data) {
      e.Set("row", Napi::Number::New(env, static_cast<double>(row)));
      if (column >= 0) {
        e.Set("column", Napi::Number::New(env, static_cast<double>(column)));
        e.Set("value", Napi::Number::New(env, value));
      }
    }
    return e;
  }
};

// Runs fn on the JS thread, turning C++ failures into coded JS errors.
template <typename Fn>
auto Translated(Napi::Env env, Fn&& fn) -> decltype(fn()) {
  try {
    return fn();
  } catch (const Napi::Error&) {
    throw;
  } catch (...) {
    throw Failure::From(std::current_exception()).ToJs(env);
  }
}

template <typename Job>
Napi::Value RunSync(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  return Translated(env, [&] {
    Args args(info, info.Length(), false);
    Job job(args);
    job.Run();
    return job.Result(env);
  });
}

template <typename Job>
class KernelWorker : public Napi::AsyncWorker {
 public:
  KernelWorker(Napi::Env env, std::unique_ptr<Args> args, std::unique_ptr<Job> job, const int32_t* abort)
      : Napi::AsyncWorker(env, "realabel"),
        deferred_(Napi::Promise::Deferred::New(env)),
        args_(std::move(args)),
        job_(std::move(job)),
        abort_(abort) {}

  Napi::Promise Promise() const { return deferred_.Promise(); }

 protected:
  void Execute() override {
    AbortScope scope(abort_);
    try {
      CheckAbort();
      job_->Run();
    } catch (...) {
      failure_.reset(new Failure(Failure::From(std::current_exception())));
    }
  }

  void OnOK() override {
    Napi::Env env = Env();
    Napi::HandleScope scope(env);
    if (failure_) {
      deferred_.Reject(failure_->ToJs(env).Value());
      return;
    }
    try {
      deferred_.Resolve(Translated(env, [&] { return job_->Result(env); }));
    } catch (const Napi::Error& e) {
      deferred_.Reject(e.Value());
    }
  }

  void OnError(const Napi::Error& e) override { deferred_.Reject(e.Value()); }

 private:
  Napi::Promise::Deferred deferred_;
  std::unique_ptr<Args> args_;  // keeps the input arrays alive until the job is done
  std::unique_ptr<Job> job_;
  const int32_t* abort_;
  std::unique_ptr<Failure> failure_;
};

template <typename Job>
Napi::Value RunAsync(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  return Translated(env, [&]() -> Napi::Value {
    const size_t n = info.Length();
    if (n < 1 || !info[n - 1].IsTypedArray() ||
        info[n - 1].As<Napi::TypedArray>().TypedArrayType() != napi_int32_array ||
        info[n - 1].As<Napi::Int32Array>().ElementLength() < 1) {
      throw TypeErr(env, "abort: expected an Int32Array as the last argument");
    }
    auto args = std::make_unique<Args>(info, n - 1, true);
    args->Keep(info[n - 1]);
    const int32_t* abort = info[n - 1].As<Napi::Int32Array>().Data();
    auto job = std::make_unique<Job>(*args);
    auto* worker = new KernelWorker<Job>(env, std::move(args), std::move(job), abort);
    Napi::Promise promise = worker->Promise();
    worker->Queue();
    return promise;
  });
}

}  // namespace realabel

#define REALABEL_EXPORT(name, fn) static ::realabel::Registrar realabel_reg_##fn(name, fn)

#define REALABEL_KERNEL(name, Job)                                                      \
  static ::realabel::Registrar realabel_reg_##Job(name, ::realabel::RunSync<Job>);      \
  static ::realabel::Registrar realabel_reg_async_##Job(name "Async", ::realabel::RunAsync<Job>)
