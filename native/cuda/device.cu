// Device discovery; see device.h.
#include <cuda_runtime.h>

#include <string>

#include "device.h"

namespace realabel {
namespace cuda {

int DeviceCount() {
  int n = 0;
  if (cudaGetDeviceCount(&n) != cudaSuccess) {
    cudaGetLastError();
    return 0;
  }
  return n;
}

std::string DeviceName() {
  int n = 0;
  cudaError_t err = cudaGetDeviceCount(&n);
  if (err != cudaSuccess) {
    cudaGetLastError();
    return std::string("no CUDA device (") + cudaGetErrorString(err) + ")";
  }
  if (n == 0) return "no CUDA device";
  cudaDeviceProp prop{};
  if (cudaGetDeviceProperties(&prop, 0) != cudaSuccess) return "CUDA device 0 (properties unavailable)";
  const double gib = static_cast<double>(prop.totalGlobalMem) / (1024.0 * 1024.0 * 1024.0);
  return std::string(prop.name) + ", " + std::to_string(static_cast<int>(gib + 0.5)) + " GiB, sm_" +
         std::to_string(prop.major) + std::to_string(prop.minor);
}

}  // namespace cuda
}  // namespace realabel
