// JS binding of the file-input helpers (io_core.h), used by src/io/native-io.ts:
//   ioCrc32(crc, bytes: Uint8Array) -> crc continued over bytes
//   ioInflaterCreate() -> handle
//   ioInflate(handle, input: Uint8Array, output: Uint8Array) -> [consumed, produced, ended]
//   ioDeflaterCreate(level) -> handle
//   ioDeflate(handle, input, output, finish: boolean) -> [consumed, produced, ended]
#include <cstring>
#include <memory>
#include <new>
#include <stdexcept>
#include <string>

#include "args.h"
#include "io_core.h"
#include "registry.h"

namespace realabel {
namespace {

const napi_type_tag kInflaterTag = {0x3c9e1b7a52d04f18ULL, 0x81f2a6c4d9e37b05ULL};

Napi::Value Crc32(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  return Translated(env, [&]() -> Napi::Value {
    Args args(info, info.Length(), false);
    const uint32_t crc = static_cast<uint32_t>(args.Int(0, "crc", 0, UINT32_MAX));
    const View<uint8_t> bytes = args.Array<uint8_t>(1, "bytes");
    return Napi::Number::New(env, io::Crc32(crc, bytes.data, static_cast<size_t>(bytes.length)));
  });
}
REALABEL_EXPORT("ioCrc32", Crc32);

Napi::Value InflaterCreate(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  io::Inflater* inf = nullptr;
  try {
    inf = new io::Inflater();
  } catch (const std::bad_alloc&) {
    throw Napi::Error::New(env, "cannot start an inflater (out of memory)");
  }
  auto ext = Napi::External<io::Inflater>::New(env, inf, [](Napi::Env, io::Inflater* p) { delete p; });
  ext.TypeTag(&kInflaterTag);
  return ext;
}
REALABEL_EXPORT("ioInflaterCreate", InflaterCreate);

Napi::Value Inflate(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (info.Length() < 1 || !info[0].IsExternal() || !info[0].As<Napi::External<io::Inflater>>().CheckTypeTag(&kInflaterTag)) {
    throw TypeErr(env, "handle: expected an inflater");
  }
  io::Inflater* inf = info[0].As<Napi::External<io::Inflater>>().Data();
  Args args(info, info.Length(), false);
  const View<uint8_t> in = args.Array<uint8_t>(1, "input");
  const View<uint8_t> out = args.Array<uint8_t>(2, "output");
  io::Inflater::Step s;
  try {
    s = inf->Run(in.data, static_cast<size_t>(in.length), out.data, static_cast<size_t>(out.length));
  } catch (const std::exception& e) {
    throw Napi::Error::New(env, e.what());
  }
  Napi::Array r = Napi::Array::New(env, 3);
  r.Set(uint32_t{0}, Napi::Number::New(env, static_cast<double>(s.consumed)));
  r.Set(uint32_t{1}, Napi::Number::New(env, static_cast<double>(s.produced)));
  r.Set(uint32_t{2}, Napi::Boolean::New(env, s.ended));
  return r;
}
REALABEL_EXPORT("ioInflate", Inflate);

const napi_type_tag kDeflaterTag = {0x5d2e8f41a7c3b690ULL, 0x0b7e4c19f2d8a356ULL};

Napi::Value DeflaterCreate(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  const int level = static_cast<int>(ArgInt(info, 0, "level", 0, 9));
  io::Deflater* d = nullptr;
  try {
    d = new io::Deflater(level);
  } catch (const std::bad_alloc&) {
    throw Napi::Error::New(env, "cannot start a deflater (out of memory)");
  }
  auto ext = Napi::External<io::Deflater>::New(env, d, [](Napi::Env, io::Deflater* p) { delete p; });
  ext.TypeTag(&kDeflaterTag);
  return ext;
}
REALABEL_EXPORT("ioDeflaterCreate", DeflaterCreate);

Napi::Value Deflate(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (info.Length() < 1 || !info[0].IsExternal() || !info[0].As<Napi::External<io::Deflater>>().CheckTypeTag(&kDeflaterTag)) {
    throw TypeErr(env, "handle: expected a deflater");
  }
  io::Deflater* d = info[0].As<Napi::External<io::Deflater>>().Data();
  Napi::Uint8Array in = ArgArray<uint8_t>(info, 1, "input");
  Napi::Uint8Array out = ArgArray<uint8_t>(info, 2, "output");
  const bool finish = info.Length() > 3 && info[3].ToBoolean().Value();
  io::Inflater::Step s;
  try {
    s = d->Run(in.Data(), in.ElementLength(), out.Data(), out.ElementLength(), finish);
  } catch (const std::exception& e) {
    throw Napi::Error::New(env, e.what());
  }
  Napi::Array r = Napi::Array::New(env, 3);
  r.Set(uint32_t{0}, Napi::Number::New(env, static_cast<double>(s.consumed)));
  r.Set(uint32_t{1}, Napi::Number::New(env, static_cast<double>(s.produced)));
  r.Set(uint32_t{2}, Napi::Boolean::New(env, s.ended));
  return r;
}
REALABEL_EXPORT("ioDeflate", Deflate);

}  // namespace
}  // namespace realabel
