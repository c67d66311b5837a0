// Batched Dawid–Skene EM on the GPU with the CPU engine's arithmetic
// (aggregate_em.cc): the same question blocks, the same summation order in
// every count, prior and normaliser, so probability-space runs match the CPU
// posteriors bit for bit and stop at the same iteration. Problems whose
// parameters fall below 2^-1000 switch to log space, where CUDA's exp/log
// (not glibc's) make them agree to rounding only. Plain C++ header.
#pragma once
#include <cstdint>

#include "../aggregate_core.h"
#include "device.h"

namespace realabel {
namespace cuda {

constexpr int32_t kEmMaxClasses = 32;  // per-question class vectors live in registers

// Whether RunEmGpu handles these options (Dawid–Skene, K <= kEmMaxClasses);
// callers run aggregate::RunEm otherwise.
bool EmOnGpu(const aggregate::EmOptions& opt, int32_t K);

// aggregate::RunEm on the GPU (after the same checks). `seconds`, when given,
// receives the time spent on host-side grouping and transfers.
void RunEmGpu(const aggregate::Answers& ans, const aggregate::EmOptions& opt, const double* init, aggregate::EmOutput* out,
              double* transferSeconds = nullptr);

}  // namespace cuda
}  // namespace realabel
