// SPDX-License-Identifier: Apache-2.0
// The experiment driver (spec §11.3): repeated search experiments, each candidate checked on the select tasks,
// the best of all evaluated on the unseen final tasks.
#pragma once
#include <atomic>
#include <chrono>
#include <functional>
#include <optional>
#include <string>

#include "amlz/config.h"
#include "amlz/eval/evaluator.h"
#include "amlz/search/checkpoint.h"
#include "amlz/search/search.h"

namespace amlz {

// The phases of a run, in order: what a stop interrupted.
enum class Phase { Search, Select, Final, Done };
template <>
struct EnumNames<Phase> {
  static constexpr EnumName<Phase> table[] = {
      {Phase::Search, "search"}, {Phase::Select, "select"}, {Phase::Final, "final"}, {Phase::Done, "done"}};
};

// Where the driver's output goes: the original's text lines, progress, and the best algorithm so far.
class RunReporter : public SearchObserver {
 public:
  virtual void line(const std::string& text) = 0;
  // A new best: after each progress report (best of the population) and after each select evaluation.
  virtual void best_so_far(const Algorithm& a, const std::string& note) { (void)a, (void)note; }
  virtual void experiment_started(int experiment) { (void)experiment; }
  // During the select and final evaluations: `done` of `total` tasks evaluated.
  virtual void evaluation_progress(Phase phase, size_t done, size_t total) { (void)phase, (void)done, (void)total; }
  // While the phase's task set is built: `done` of `total` tasks made.
  virtual void building_tasks(Phase phase, size_t done, size_t total) { (void)phase, (void)done, (void)total; }
};

// What stops a run early: a stop request (signals, a closed output) and the wall-clock limit of the whole run.
struct RunLimits {
  const std::atomic<bool>* stop = nullptr;  // set: stop at the next batch or task chunk, in any phase
  std::chrono::steady_clock::time_point deadline = std::chrono::steady_clock::time_point::max();
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
  uint64_t steps_avoided = 0;  // training steps hurdles spared
  double seconds = 0;
  uint64_t fec_hits = 0;     // task fitnesses answered by the FEC cache
  uint64_t fec_lookups = 0;  // task fitnesses looked up (hits + misses)
  double fec_hit_rate = 0;
  StopReason stop = StopReason::Budget;
  Phase stopped_in = Phase::Done;  // the phase a time limit or stop request cut short (Done: none was)
  bool final_done = false;         // final_fitness is the final evaluation's (not cut short, not skipped)
  bool success = false;            // best select fitness > sufficient_fitness
  int batch_size = 1;
};

// The batch size used when the config says 0: enough (program, task) pairs to keep the backend busy.
int automatic_batch_size(const Config& config, const Evaluator& evaluator);

// `config` must be validated for ConfigUse::Search and have its seed set (not 0). config.max_seconds bounds the
// whole run: the search phase ends early enough to leave the select and final evaluations their estimated time,
// and they stop at the deadline too. `limits.deadline`, when earlier, wins.
//
// Checkpoints: the run's states (RunCheckpoint, encoded) go to `checkpoints.sink` at the search's checkpoint points
// (SearchOptions::checkpoints) and, when a stop request cuts the select or final evaluation short, the state at
// the end of that experiment's search. With `checkpoints.resume` the run continues from such a state (same config,
// same backend for the same result) and reaches what the uninterrupted run would have; its clock continues from
// the saved run time, so max_seconds bounds the run over all its sessions.
//
// With a `group` of several processes every process calls this with the same config: each runs its islands, rank 0
// alone evaluates the gathered island bests on the select and final tasks and decides whether another experiment
// runs; the others draw from their generators what rank 0 draws and follow its decisions. The summary's counts
// (individuals, training steps, FEC, hurdles) are over all processes; its best algorithm and fitnesses are rank
// 0's. Only rank 0 needs a checkpoint sink; every process resumes from the same state.
struct RunCheckpoints {
  CheckpointSink* sink = nullptr;
  const RunCheckpoint* resume = nullptr;
};
RunSummary run_experiments(const Config& config, Evaluator& evaluator, RunReporter& reporter, RunLimits limits = {},
                           RunCheckpoints checkpoints = {}, SearchGroup* group = nullptr);

// The fitness of one algorithm on a task set (mean over tasks; no FEC, no budget), evaluated a few tasks at a time
// so that a stop request or the deadline is honoured within a chunk; reports progress after each chunk. Empty
// when stopped (`*why` says by what).
std::optional<double> evaluate_algorithm(Evaluator& evaluator, const TaskSet& tasks, const Algorithm& algorithm,
                                         uint32_t eval_seed, float max_abs_error, const RunLimits& limits,
                                         const std::function<void(size_t done, size_t total)>& progress,
                                         StopReason* why);

}  // namespace amlz
