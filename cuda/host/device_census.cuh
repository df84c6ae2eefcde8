// SPDX-License-Identifier: Apache-2.0
// How many CUDA devices this process can use, and if none, why in words. Host code only; private to cuda/.
#pragma once
#include <string>

namespace amlz::cuda {

struct DeviceCensus {
  int count = 0;
  std::string why;  // when count is 0
};

// Taken once per process: devices do not come and go under a running program, and the kernel-image probe creates
// a context, which takes a moment. May throw amlz::CudaError (cuda_device_count() catches it).
const DeviceCensus& device_census();

}  // namespace amlz::cuda
