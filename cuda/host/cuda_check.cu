// SPDX-License-Identifier: Apache-2.0
// The out-of-line halves of AMLZ_CUDA_CHECK and AMLZ_CUDA_CHECK_NOTHROW: the messages.
#include <cstdio>
#include <string>

#include "host/cuda_check.cuh"

namespace amlz {

void throw_cuda_error(cudaError_t code, const char* expr, const char* file, int line) {
  throw CudaError(code, std::string("CUDA error ") + cudaGetErrorName(code) + " (" + cudaGetErrorString(code) +
                            ") in " + expr + " at " + file + ":" + std::to_string(line));
}

void print_cuda_error(cudaError_t code, const char* expr, const char* file, int line) noexcept {
  std::fprintf(stderr, "amlz: CUDA error %s (%s) in %s at %s:%d\n", cudaGetErrorName(code), cudaGetErrorString(code),
               expr, file, line);
}

}  // namespace amlz
