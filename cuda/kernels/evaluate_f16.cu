// SPDX-License-Identifier: Apache-2.0
// Kernels for F = 16 (one file per F so that a parallel build compiles them side by side).
#include "kernels/evaluate_kernel.cuh"
#include "kernels/instantiations.cuh"
#include "launch.cuh"

namespace amlz::cuda {

const void* evaluate_kernel_f16(int lanes, bool global_memory) {
  if (global_memory)
    return lanes == AMLZ_CUDA_GLOBAL_LANES(16)
               ? reinterpret_cast<const void*>(&evaluate_kernel<16, AMLZ_CUDA_GLOBAL_LANES(16), true>)
               : nullptr;
#define AMLZ_X(f, l) \
  if (lanes == (l)) return reinterpret_cast<const void*>(&evaluate_kernel<f, l, false>);
  AMLZ_CUDA_PAIRS_F16(AMLZ_X)
#undef AMLZ_X
  return nullptr;
}

}  // namespace amlz::cuda
