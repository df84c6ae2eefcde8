// SPDX-License-Identifier: Apache-2.0
// CUDA error checks: AMLZ_CUDA_CHECK throws amlz::CudaError naming the call, file and line; the NOTHROW variant is
// for destructors (it prints and carries on). Host code only; private to cuda/.
#pragma once
#include <stdexcept>
#include <string>

#include <cuda_runtime.h>

namespace amlz {

// A failed CUDA runtime call. Not an amlz::Error (those are bad user input): a CUDA failure is the machine's or
// ours, and the message says which call failed so that a log is enough to start looking.
class CudaError : public std::runtime_error {
 public:
  CudaError(cudaError_t code, const std::string& what) : std::runtime_error(what), code_(code) {}
  cudaError_t code() const noexcept { return code_; }

 private:
  cudaError_t code_;
};

[[noreturn]] void throw_cuda_error(cudaError_t code, const char* expr, const char* file, int line);
void print_cuda_error(cudaError_t code, const char* expr, const char* file, int line) noexcept;

}  // namespace amlz

#define AMLZ_CUDA_CHECK(expr)                                                                                     \
  do {                                                                                                            \
    const cudaError_t amlz_cuda_status_ = (expr);                                                                 \
    if (amlz_cuda_status_ != cudaSuccess) ::amlz::throw_cuda_error(amlz_cuda_status_, #expr, __FILE__, __LINE__); \
  } while (0)

#define AMLZ_CUDA_CHECK_NOTHROW(expr)                                                                             \
  do {                                                                                                            \
    const cudaError_t amlz_cuda_status_ = (expr);                                                                 \
    if (amlz_cuda_status_ != cudaSuccess) ::amlz::print_cuda_error(amlz_cuda_status_, #expr, __FILE__, __LINE__); \
  } while (0)
