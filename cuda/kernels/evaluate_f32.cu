// SPDX-License-Identifier: Apache-2.0
// Kernels for F = 32 (one file per F so that a parallel build compiles them side by side).
#include "kernels/evaluate_kernel.cuh"
#include "launch.cuh"

namespace amlz::cuda {

const void* evaluate_kernel_f32(int lanes, bool global_memory) {
  return compiled_kernel<32 AMLZ_CUDA_PAIRS_F32(AMLZ_CUDA_LANE_ARG)>(lanes, global_memory);
}

}  // namespace amlz::cuda
