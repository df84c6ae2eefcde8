// SPDX-License-Identifier: Apache-2.0
// The only translation unit that knows whether the CUDA evaluator was compiled in.
#include "amlz/eval/backend.h"

#include <algorithm>
#include <cstdlib>

#include "amlz/error.h"

#if defined(AMLZ_HAS_CUDA)
#include "cuda_evaluator.h"
#endif

namespace amlz {
namespace {

#if defined(AMLZ_HAS_CUDA)
// This process's index among the processes an MPI launcher started on this machine (0 without a launcher).
int launcher_local_rank() {
  for (const char* name : {"OMPI_COMM_WORLD_LOCAL_RANK", "MPI_LOCALRANKID", "PMIX_LOCAL_RANK"})
    if (const char* v = std::getenv(name)) {
      char* end = nullptr;
      const long r = std::strtol(v, &end, 10);
      if (*v != '\0' && *end == '\0' && r >= 0 && r < (1 << 20)) return static_cast<int>(r);
    }
  return 0;
}
#endif

}  // namespace

std::string cuda_unavailable_reason() {
#if defined(AMLZ_HAS_CUDA)
  std::string why;
  if (cuda_device_count(&why) > 0) return "";
  return why.empty() ? "no CUDA device is present" : why;
#else
  return "this amlz was built without CUDA (configure with -DAMLZ_CUDA=ON and the CUDA toolkit)";
#endif
}

std::vector<Backend> available_backends() {
  std::vector<Backend> b = {Backend::Cpu};
  if (cuda_unavailable_reason().empty()) b.push_back(Backend::Cuda);
  return b;
}

Backend resolve_backend(std::string_view name) {
  if (name == "cpu" || name == "cpu-reference") return Backend::Cpu;
  if (name == "cuda") {
    const std::string why = cuda_unavailable_reason();
    if (!why.empty()) throw Error("--backend cuda is not available: " + why);
    return Backend::Cuda;
  }
  if (name == "auto") return cuda_unavailable_reason().empty() ? Backend::Cuda : Backend::Cpu;
  throw ConfigError("backend must be auto, cpu, cpu-reference or cuda (got '" + std::string(name) + "')");
}

CpuInterpreter cpu_interpreter_for(std::string_view backend_name) {
  return backend_name == "cpu-reference" ? CpuInterpreter::Reference : CpuInterpreter::Vector;
}

std::unique_ptr<Evaluator> make_evaluator(Backend b, const EvaluatorOptions& options) {
  if (b == Backend::Cpu)
    return make_cpu_evaluator({options.cpu_threads, options.cpu_precision, options.cpu_interpreter});
#if defined(AMLZ_HAS_CUDA)
  const std::string why = cuda_unavailable_reason();
  if (!why.empty()) throw Error("the CUDA backend is not available: " + why);
  const int device =
      options.cuda_device >= 0 ? options.cuda_device : launcher_local_rank() % std::max(1, cuda_device_count());
  return make_cuda_evaluator(CudaEvaluatorOptions{device, options.cuda_lanes_per_task, options.cuda_verbose});
#else
  throw Error("the CUDA backend is not available: " + cuda_unavailable_reason());
#endif
}

}  // namespace amlz
