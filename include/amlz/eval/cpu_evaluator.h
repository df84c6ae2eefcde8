// SPDX-License-Identifier: Apache-2.0
// The CPU reference evaluator: the ground truth every other backend is checked against.
#pragma once
#include <memory>

#include "amlz/eval/evaluator.h"

namespace amlz {

enum class Precision { Float32, Float64 };

struct CpuEvaluatorOptions {
  int threads = 0;  // 0: one per hardware thread
  // float32 is the production precision (as the GPU); float64 checks numerics against the original's doubles.
  Precision precision = Precision::Float32;
};

std::unique_ptr<Evaluator> make_cpu_evaluator(const CpuEvaluatorOptions& options = {});

}  // namespace amlz
