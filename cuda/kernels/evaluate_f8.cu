// SPDX-License-Identifier: Apache-2.0
// Kernels for F = 8 (one file per F so that a parallel build compiles them side by side).
#include "kernels/evaluate_kernel.cuh"
#include "launch.cuh"

namespace amlz::cuda {

const void* evaluate_kernel_f8(int lanes, bool global_memory) {
  return compiled_kernel<8 AMLZ_CUDA_PAIRS_F8(AMLZ_CUDA_LANE_ARG)>(lanes, global_memory);
}

}  // namespace amlz::cuda
