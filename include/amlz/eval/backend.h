// SPDX-License-Identifier: Apache-2.0
// The backend registry: which evaluators exist in this build and on this machine, and how to make one. The CLI,
// tests and benchmarks ask here at run time instead of testing AMLZ_HAS_CUDA themselves.
#pragma once
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "amlz/eval/cpu_evaluator.h"
#include "amlz/eval/evaluator.h"

namespace amlz {

struct EvaluatorOptions {
  int cpu_threads = 0;
  Precision cpu_precision = Precision::Float32;
  CpuInterpreter cpu_interpreter = CpuInterpreter::Vector;  // `--backend cpu-reference` selects the reference
  // < 0: the process's local rank under an MPI launcher (mpirun: OMPI_COMM_WORLD_LOCAL_RANK; 0 otherwise) modulo
  // the devices present, so that the ranks on one machine take one GPU each.
  int cuda_device = 0;
  int cuda_lanes_per_task = 0;  // 0: chosen per program and F; else a power of two 1..32 (for tuning sweeps)
  bool cuda_verbose = false;    // print each kernel launch's plan on stderr
};

// CPU always; CUDA when it was built and a device is present.
std::vector<Backend> available_backends();
// Why the CUDA backend cannot be used here ("" when it can).
std::string cuda_unavailable_reason();

// "auto" picks CUDA when available, else CPU; "cuda" without a device is an amlz::Error saying why; "cpu" and
// "cpu-reference" are both the CPU backend, with the vector or the reference interpreter (cpu_interpreter_for).
Backend resolve_backend(std::string_view name);
CpuInterpreter cpu_interpreter_for(std::string_view backend_name);
std::unique_ptr<Evaluator> make_evaluator(Backend b, const EvaluatorOptions& options = {});

}  // namespace amlz
