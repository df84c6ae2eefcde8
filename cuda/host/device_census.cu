// SPDX-License-Identifier: Apache-2.0
// The device census: devices present, a driver recent enough, and kernels this build can run on device 0.
#include <cuda_runtime.h>

#include "host/device_census.cuh"
#include "host/kernel_registry.cuh"

#ifndef AMLZ_CUDA_ARCHITECTURES
#define AMLZ_CUDA_ARCHITECTURES "unknown"
#endif

namespace amlz::cuda {

namespace {

std::string version_text(int v) { return std::to_string(v / 1000) + "." + std::to_string(v % 1000 / 10); }

DeviceCensus take_census() {
  DeviceCensus c;
  int n = 0;
  const cudaError_t e = cudaGetDeviceCount(&n);
  if (e != cudaSuccess) {
    (void)cudaGetLastError();
    int runtime = 0;
    (void)cudaRuntimeGetVersion(&runtime);
    switch (e) {
      case cudaErrorNoDevice: c.why = "no CUDA device is present"; break;
      case cudaErrorInsufficientDriver:
        c.why = "no NVIDIA driver is loaded, or it is older than the CUDA " + version_text(runtime) +
                " runtime amlz was built with";
        break;
      default: c.why = std::string("cudaGetDeviceCount failed: ") + cudaGetErrorString(e); break;
    }
    return c;
  }
  if (n <= 0) {
    c.why = "no CUDA device is present";
    return c;
  }
  // A device this build has no code for (e.g. sm_80 with CMAKE_CUDA_ARCHITECTURES=90) counts as none, so that
  // --backend auto falls back to the CPU instead of failing at the first launch.
  cudaFuncAttributes attr{};
  const cudaError_t k = cudaFuncGetAttributes(&attr, find_kernel(4, 1, false));
  if (k != cudaSuccess) {
    (void)cudaGetLastError();
    cudaDeviceProp p{};
    (void)cudaGetDeviceProperties(&p, 0);
    c.why = std::string("CUDA device 0 (") + p.name + ", sm_" + std::to_string(p.major) + std::to_string(p.minor) +
            ") cannot run this build's kernels: " + cudaGetErrorString(k) +
            " (built for CMAKE_CUDA_ARCHITECTURES=" AMLZ_CUDA_ARCHITECTURES ")";
    return c;
  }
  c.count = n;
  return c;
}

}  // namespace

const DeviceCensus& device_census() {
  static const DeviceCensus census = take_census();
  return census;
}

}  // namespace amlz::cuda
