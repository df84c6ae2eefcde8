// SPDX-License-Identifier: Apache-2.0
// The experiment driver (spec §11.3): repeated search experiments, each candidate checked on the select tasks,
// the best of all evaluated on the unseen final tasks.
#pragma once
#include <atomic>
#include <string>

#include "amlz/config.h"
#include "amlz/eval/evaluator.h"
#include "amlz/search/search.h"

namespace amlz {

// Where the driver's output goes: the original's text lines, progress, and the best algorithm so far.
class RunReporter : public SearchObserver {
 public:
  virtual void line(const std::string& text) = 0;
  // A new best: after each progress report (best of the population) and after each select evaluation.
  virtual void best_so_far(const Algorithm& a, const std::string& note) { (void)a, (void)note; }
  virtual void experiment_started(int experiment) { (void)experiment; }
};

struct RunSummary {
  uint32_t seed = 0;
  int experiments = 0;
  Algorithm best;
  double best_search_fitness = 0;
  double best_select_fitness = 0;
  double final_fitness = 0;
  int64_t individuals = 0;
  uint64_t train_steps = 0;
  double seconds = 0;
  uint64_t fec_hits = 0;     // task fitnesses answered by the FEC cache
  uint64_t fec_lookups = 0;  // task fitnesses looked up (hits + misses)
  double fec_hit_rate = 0;
  StopReason stop = StopReason::Budget;
  bool success = false;  // best select fitness > sufficient_fitness
  int batch_size = 1;
};

// The batch size used when the config says 0: enough (program, task) pairs to keep the backend busy.
int automatic_batch_size(const Config& config, const Evaluator& evaluator);

// `config` must be validated for ConfigUse::Search and have its seed set (not 0).
RunSummary run_experiments(const Config& config, Evaluator& evaluator, RunReporter& reporter,
                           const std::atomic<bool>* stop = nullptr);

}  // namespace amlz
