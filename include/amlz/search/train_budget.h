// SPDX-License-Identifier: Apache-2.0
// The train budget (spec §9): a static cost filter. A candidate whose estimated cost on a task exceeds
// threshold_factor times a baseline algorithm's gets 0 training steps there (fitness 0, status OverBudget).
#pragma once
#include <cstdint>

#include "amlz/core/algorithm.h"
#include "amlz/core/hardcoded_algorithms.h"
#include "amlz/tasks/task.h"

namespace amlz {

// [train_budget]: the static cost filter of spec §9.
struct TrainBudgetConfig {
  bool enabled = false;
  InitialAlgorithm baseline = InitialAlgorithm::NeuralNet;
  double threshold_factor = 2.0;
};

// Estimated cost of one execution of `op` at feature size F, in units of one instruction dispatch. The original
// used a fixed table measured on its own interpreter, independent of F; we model the cost from the op's kind
// and shape instead (documented in the README), so the filter scales with F as the work does.
double op_cost(Op op, int features);

// setup cost + N * (predict cost + learn cost), over the source algorithm (dead code and NoOps included, as the
// original: bigger programs cost more even if the compiler drops code).
double algorithm_cost(const Algorithm& a, int features, uint32_t train_steps);

class TrainBudget {
 public:
  TrainBudget(const Algorithm& baseline, double threshold_factor);
  // The training steps a candidate gets on the task: all of them, or 0 when it is too expensive.
  uint32_t train_steps(const Algorithm& candidate, const Task& task) const;

 private:
  Algorithm baseline_;
  double factor_;
};

}  // namespace amlz
