// Each kernel file registers its JS-visible functions here with REALABEL_EXPORT,
// so adding a kernel means adding one .cc file to native/sources.json and
// nothing else: binding.cc walks the registry.
#pragma once
#include <napi.h>
#include <vector>

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

}  // namespace realabel

#define REALABEL_EXPORT(name, fn) static ::realabel::Registrar realabel_reg_##fn(name, fn)
