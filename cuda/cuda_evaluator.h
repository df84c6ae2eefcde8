// SPDX-License-Identifier: Apache-2.0
// The CUDA evaluator's factory, as seen by host code compiled with g++ (src/eval/backend.cpp). No CUDA headers
// here: everything CUDA stays behind these two functions.
#pragma once
#include <memory>
#include <string>

#include "amlz/eval/evaluator.h"

namespace amlz {

struct CudaEvaluatorOptions {
  int device = 0;
  // Lanes of a warp that work on one task (a power of two 1..32): 1 = each lane runs its own task, 32 = the whole
  // warp works on one task's vectors and matrices. 0 = automatic per feature size and batch (see host/launch.cu); a
  // fixed value lets the parity tests and benchmarks sweep every lane mapping. A value not compiled for a feature
  // size runs with the nearest compiled one (cuda/kernels/instantiations.cuh); programs too large for shared memory
  // at that L run on the global-memory path at L = F.
  int lanes_per_task = 0;
  bool verbose = false;  // print each launch's plan on stderr
};

// Number of usable CUDA devices. Never throws: with no device, no driver or a driver older than the runtime it
// returns 0 and, if why_none is given, says why in words.
int cuda_device_count(std::string* why_none = nullptr);

// Throws amlz::CudaError (a std::runtime_error) when the device cannot be used.
std::unique_ptr<Evaluator> make_cuda_evaluator(const CudaEvaluatorOptions& options);

}  // namespace amlz
