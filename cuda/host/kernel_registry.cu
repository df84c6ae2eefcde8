// SPDX-License-Identifier: Apache-2.0
// Run-time lookup of the compiled (F, L) kernels.
#include <algorithm>
#include <iterator>
#include <type_traits>

#include "amlz/core/features.h"
#include "host/kernel_registry.cuh"
#include "kernels/instantiations.cuh"

namespace amlz::cuda {

const void* find_kernel(int features, int lanes, bool global_memory) {
  // Not is_supported_features(): nvcc compiles that __host__ __device__ function for the device too, where the
  // kFeatureSizes array it reads at run time does not exist.
  if (std::find(std::begin(kFeatureSizes), std::end(kFeatureSizes), features) == std::end(kFeatureSizes))
    return nullptr;
  return with_features(features, [&](auto f) { return compiled_kernel_for<decltype(f)::value>(lanes, global_memory); });
}

std::vector<int> compiled_lanes(int features) {
  std::vector<int> out;
#define AMLZ_X(f, l) \
  if (features == (f)) out.push_back(l);
  AMLZ_CUDA_PAIRS_F2(AMLZ_X)
  AMLZ_CUDA_PAIRS_F4(AMLZ_X)
  AMLZ_CUDA_PAIRS_F8(AMLZ_X)
  AMLZ_CUDA_PAIRS_F16(AMLZ_X)
  AMLZ_CUDA_PAIRS_F32(AMLZ_X)
#undef AMLZ_X
  std::sort(out.begin(), out.end());
  return out;
}

int global_memory_lanes(int features) { return AMLZ_CUDA_GLOBAL_LANES(features); }

}  // namespace amlz::cuda
