// Addon entry point: exports every function registered by the kernel files.
#include "registry.h"

#include <thread>

namespace realabel {

std::vector<ExportEntry>& Registry() {
  static std::vector<ExportEntry> entries;
  return entries;
}

}  // namespace realabel

static Napi::Value HardwareThreads(const Napi::CallbackInfo& info) {
  unsigned n = std::thread::hardware_concurrency();
  return Napi::Number::New(info.Env(), n == 0 ? 1 : n);
}
REALABEL_EXPORT("hardwareThreads", HardwareThreads);

static Napi::Object Init(Napi::Env env, Napi::Object exports) {
  for (const auto& e : realabel::Registry()) {
    exports.Set(e.name, Napi::Function::New(env, e.fn, e.name));
  }
  return exports;
}

NODE_API_MODULE(realabel, Init)
