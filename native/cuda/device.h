// The GPU side of realabel, as seen from plain C++ (no CUDA headers): the
// Node-API binding (binding.cc) and the standalone check (bench/gpu/check.cc)
// include only this and the kernel headers.
#pragma once
#include <stdexcept>
#include <string>

namespace realabel {
namespace cuda {

// A CUDA failure (no device, out of GPU memory, a launch error); the message
// names the call and CUDA's own description.
struct Error : std::runtime_error {
  explicit Error(const std::string& message) : std::runtime_error("CUDA: " + message) {}
};

// cudaGetDeviceCount, or 0 when there is no driver or device (never throws).
int DeviceCount();
// "name, N GiB, sm_XY" of device 0, or the reason there is none.
std::string DeviceName();

}  // namespace cuda
}  // namespace realabel
