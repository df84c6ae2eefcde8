// SPDX-License-Identifier: Apache-2.0
// Kernels for F = 4 (one file per F so that a parallel build compiles them side by side).
#include "host/kernel_registry.cuh"
#include "kernels/evaluate_kernel.cuh"

namespace amlz::cuda {

template <>
const void* compiled_kernel_for<4>(int lanes, bool global_memory) {
  return compiled_kernel<4 AMLZ_CUDA_PAIRS_F4(AMLZ_CUDA_LANE_ARG)>(lanes, global_memory);
}

}  // namespace amlz::cuda
