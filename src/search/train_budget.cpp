// SPDX-License-Identifier: Apache-2.0
#include "amlz/search/train_budget.h"

#include <algorithm>

namespace amlz {
namespace {

double elements(Kind k, int f) {
  switch (k) {
    case Kind::Scalar: return 1.0;
    case Kind::Vector: return f;
    case Kind::Matrix: return static_cast<double>(f) * f;
    case Kind::None: break;
  }
  return 0.0;
}

}  // namespace

double op_cost(Op op, int f) {
  const OpInfo& info = op_info(op);
  // Per-element weights relative to one dispatch, from the CPU interpreter's profile: element-wise float
  // arithmetic vectorises (~0.05 dispatch per element), libm calls cost ~0.5, a Philox draw with Box-Muller ~1.
  const double widest = std::max({elements(info.in1, f), elements(info.in2, f), elements(info.out, f)});
  switch (info.cost) {
    case Cost::Trivial: return 1.0;
    case Cost::Arithmetic: return 1.0 + 0.05 * widest;
    case Cost::Transcendental: return 1.0 + 0.5 * widest;
    case Cost::Reduction: return 1.0 + 0.05 * widest;
    case Cost::MatVec: return 1.0 + 0.05 * f * f;
    case Cost::MatMul: return 1.0 + 0.05 * static_cast<double>(f) * f * f;
    case Cost::Random: return 1.0 + 1.0 * widest;
  }
  return 1.0;
}

double algorithm_cost(const Algorithm& a, int features, uint32_t train_steps) {
  auto sum = [&](const std::vector<Instruction>& c) {
    double s = 0.0;
    for (const Instruction& in : c) s += op_cost(in.op, features);
    return s;
  };
  return sum(a.setup) + static_cast<double>(train_steps) * (sum(a.predict) + sum(a.learn));
}

TrainBudget::TrainBudget(const Algorithm& baseline, double threshold_factor)
    : baseline_(baseline), factor_(threshold_factor) {}

uint32_t TrainBudget::train_steps(const Algorithm& candidate, const Task& task) const {
  const uint32_t n = task.max_train_steps();
  const double limit = factor_ * algorithm_cost(baseline_, task.features, n);
  return algorithm_cost(candidate, task.features, n) <= limit ? n : 0;
}

}  // namespace amlz
