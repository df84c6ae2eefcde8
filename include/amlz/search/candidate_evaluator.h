// SPDX-License-Identifier: Apache-2.0
// Fitness of whole candidates (algorithms) on a task set, on any backend: compiles them, applies the train budget,
// runs the FEC fingerprint pass and cache (spec §9-10), evaluates the misses in one batch and combines the task
// fitnesses. Counts every training step it causes, FEC pre-runs included.
#pragma once
#include <memory>
#include <optional>
#include <vector>

#include "amlz/core/algorithm.h"
#include "amlz/eval/evaluator.h"
#include "amlz/eval/fitness.h"
#include "amlz/search/fec_cache.h"
#include "amlz/search/train_budget.h"

namespace amlz {

struct CandidateEvalOptions {
  Combination combination = Combination::Mean;
  float max_abs_error = 100.0f;
  FecConfig fec;                      // disabled: every candidate is fully evaluated
  std::optional<TrainBudget> budget;  // absent: every task gets all its training steps
};

struct CandidateResult {
  double fitness = 0.0;
  std::vector<double> task_fitness;
  uint64_t train_steps = 0;  // caused by this candidate, FEC pre-run included
  uint32_t fec_hits = 0;     // tasks answered from the cache
};

// Candidates compiled and budgeted, ready for the backend: the host-side half of an evaluation, which a search
// can do for the next batch while the current one runs.
struct PreparedBatch {
  ProgramBatch programs;
  std::vector<uint32_t> full_steps;  // per (candidate, task): the task's training steps, or 0 if over budget
  size_t size() const { return programs.size(); }
};

class CandidateEvaluator {
 public:
  CandidateEvaluator(Evaluator& evaluator, const TaskSet& tasks, CandidateEvalOptions options);

  // One result per algorithm. eval_seeds[i] keys the random ops of algorithm i in its full evaluation.
  std::vector<CandidateResult> evaluate(const std::vector<const Algorithm*>& algorithms,
                                        const std::vector<uint32_t>& eval_seeds) {
    return evaluate(prepare(algorithms, eval_seeds));
  }
  // Compiles, verifies and budgets; touches no evaluator state, so it may run beside evaluate() on another thread.
  PreparedBatch prepare(const std::vector<const Algorithm*>& algorithms, const std::vector<uint32_t>& eval_seeds) const;
  // FEC pass, full evaluation of the misses, combination.
  std::vector<CandidateResult> evaluate(const PreparedBatch& batch);

  uint64_t train_steps() const { return train_steps_; }
  uint64_t fec_hits() const { return cache_ ? cache_->hits() : 0; }
  uint64_t fec_lookups() const { return cache_ ? cache_->hits() + cache_->misses() : 0; }

 private:
  Evaluator& evaluator_;
  const TaskSet& tasks_;
  CandidateEvalOptions options_;
  std::optional<FecCache> cache_;
  uint64_t train_steps_ = 0;
};

}  // namespace amlz
