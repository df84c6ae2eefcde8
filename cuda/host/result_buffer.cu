// SPDX-License-Identifier: Apache-2.0
// The canary-guarded results and their conversion.
#include <string>

#include "amlz/error.h"
#include "host/cuda_check.cuh"
#include "host/result_buffer.cuh"

namespace amlz::cuda {

namespace {

// Canary bytes before and after the results: a kernel writing outside its slots is caught on the host. A slot
// still full of canary bytes was never written: its status word reads 0xA5A5A5A5, no EvalStatus.
constexpr size_t kGuardBytes = 256;
constexpr unsigned char kCanary = 0xA5;

size_t buffer_bytes(size_t n) { return kGuardBytes + n * sizeof(DeviceResult) + kGuardBytes; }

}  // namespace

void ResultBuffer::prepare(size_t n, cudaStream_t stream) {
  n_ = n;
  const size_t bytes = buffer_bytes(n);
  device_.reserve_discarding(bytes);
  host_.reserve_discarding(bytes);
  AMLZ_CUDA_CHECK(cudaMemsetAsync(device_.data(), kCanary, bytes, stream));
}

DeviceResult* ResultBuffer::slots() const { return reinterpret_cast<DeviceResult*>(device_.data() + kGuardBytes); }

std::vector<TaskResult> ResultBuffer::download(cudaStream_t stream) {
  const size_t bytes = buffer_bytes(n_);
  AMLZ_CUDA_CHECK(cudaMemcpyAsync(host_.data(), device_.data(), bytes, cudaMemcpyDeviceToHost, stream));
  AMLZ_CUDA_CHECK(cudaStreamSynchronize(stream));

  const unsigned char* r = host_.data();
  const size_t result_bytes = n_ * sizeof(DeviceResult);
  for (size_t k = 0; k < kGuardBytes; ++k)
    AMLZ_CHECK(r[k] == kCanary && r[kGuardBytes + result_bytes + k] == kCanary,
               "CUDA evaluator: a kernel wrote outside its results buffer");
  const auto* res = reinterpret_cast<const DeviceResult*>(r + kGuardBytes);
  std::vector<TaskResult> out(n_);
  for (size_t k = 0; k < n_; ++k) {
    AMLZ_CHECK(res[k].status <= static_cast<uint32_t>(EvalStatus::OverBudget),
               "CUDA evaluator: work item " + std::to_string(k) + " got no result");
    out[k].fitness = res[k].fitness;
    out[k].fingerprint = res[k].fingerprint;
    out[k].train_steps = res[k].train_steps;
    out[k].status = static_cast<EvalStatus>(res[k].status);
  }
  return out;
}

}  // namespace amlz::cuda
