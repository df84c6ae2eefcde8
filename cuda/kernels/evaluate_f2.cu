// SPDX-License-Identifier: Apache-2.0
// Kernels for F = 2 (one file per F so that a parallel build compiles them side by side).
#include "kernels/evaluate_kernel.cuh"
#include "launch.cuh"

namespace amlz::cuda {

const void* evaluate_kernel_f2(int lanes, bool global_memory) {
  return compiled_kernel<2 AMLZ_CUDA_PAIRS_F2(AMLZ_CUDA_LANE_ARG)>(lanes, global_memory);
}

}  // namespace amlz::cuda
