// SPDX-License-Identifier: Apache-2.0
// The CPU evaluator, with two interpreters behind one interface: the scalar reference (the oracle every other backend
// is checked against, one task at a time, written for clarity) and the vector backend (one program on 16 tasks at
// once, one SIMD lane per task; bit-identical to the reference and several times faster).
#pragma once
#include <memory>
#include <string>

#include "amlz/core/enum_names.h"
#include "amlz/eval/evaluator.h"

namespace amlz {

enum class Precision { Float32, Float64 };

enum class CpuInterpreter : uint8_t {
  Reference,  // src/eval/cpu_interpreter.h: one work item at a time
  Vector,     // src/eval/vector_interpreter.h: lane groups of one program on up to 16 tasks (float32 only)
};
template <>
struct EnumNames<CpuInterpreter> {
  static constexpr EnumName<CpuInterpreter> table[] = {{CpuInterpreter::Reference, "reference"},
                                                       {CpuInterpreter::Vector, "vector"}};
};

struct CpuEvaluatorOptions {
  int threads = 0;  // 0: one per hardware thread
  // float32 is the production precision (as the GPU); float64 checks numerics against the original's doubles.
  Precision precision = Precision::Float32;
  // Made directly, a CPU evaluator is the oracle; the backend registry (backend.h) gives `--backend cpu` the vector
  // interpreter. float64 always runs on the reference.
  CpuInterpreter interpreter = CpuInterpreter::Reference;
};

std::unique_ptr<Evaluator> make_cpu_evaluator(const CpuEvaluatorOptions& options = {});

// One line on the CPU backend for `amlz --version`: the vector interpreter's SIMD target on this machine, the targets
// compiled in, and how to choose the reference.
std::string cpu_backend_summary();

}  // namespace amlz
