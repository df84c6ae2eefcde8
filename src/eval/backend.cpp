// SPDX-License-Identifier: Apache-2.0
// The only translation unit that knows whether the CUDA evaluator was compiled in.
#include "amlz/eval/backend.h"

#include "amlz/error.h"

#if defined(AMLZ_HAS_CUDA)
#include "cuda_evaluator.h"
#endif

namespace amlz {

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
  return make_cuda_evaluator(
      CudaEvaluatorOptions{options.cuda_device, options.cuda_lanes_per_task, options.cuda_verbose});
#else
  throw Error("the CUDA backend is not available: " + cuda_unavailable_reason());
#endif
}

}  // namespace amlz
