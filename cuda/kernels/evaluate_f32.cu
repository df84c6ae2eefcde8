// SPDX-License-Identifier: Apache-2.0
// Kernels for F = 32 (one file per F so that a parallel build compiles them side by side).
#include "host/kernel_registry.cuh"
#include "kernels/evaluate_kernel.cuh"

namespace amlz::cuda {

template <>
const void* compiled_kernel_for<32>(int lanes, bool global_memory) {
  return compiled_kernel<32 AMLZ_CUDA_PAIRS_F32(AMLZ_CUDA_LANE_ARG)>(lanes, global_memory);
}

}  // namespace amlz::cuda
