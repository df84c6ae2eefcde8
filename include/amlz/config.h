// SPDX-License-Identifier: Apache-2.0
// Everything a run is configured by, in one aggregate with in-class defaults. Filled from a TOML file plus
// command-line overrides (src/cli/config_options.cpp) and validated once by validate().
#pragma once
#include <cstdint>
#include <string>

#include "amlz/core/algorithm.h"
#include "amlz/eval/fitness.h"
#include "amlz/search/fec_cache.h"
#include "amlz/search/search_config.h"
#include "amlz/search/train_budget.h"
#include "amlz/tasks/task.h"

namespace amlz {

// Upper bounds of every size, count and thread number a config may ask for, checked by validate() (each message
// names its bound; README.md lists them). They keep a typo from turning into hours of work or an allocation that
// cannot succeed; the memory estimate below catches combinations that are fine one by one but too big together.
namespace limits {
inline constexpr int kThreads = 1024;                         // threads (CPU evaluator workers)
inline constexpr int kPopulation = 1'000'000;                 // evolution.population_size (per island)
inline constexpr int kIslands = 10'000;                       // islands.count
inline constexpr int kTasks = 100'000;                        // *_tasks.num_tasks
inline constexpr int kExamples = 100'000'000;                 // *_tasks.num_train, num_valid (per task)
inline constexpr int kEpochs = 1'000'000;                     // *_tasks.num_epochs
inline constexpr int64_t kTrainStepsPerTask = 4'294'967'295;  // num_train * num_epochs: a 32-bit step counter
inline constexpr int kFecCache = 100'000'000;                 // fec.cache_size
inline constexpr int64_t kExperiments = 1'000'000'000;        // experiment.max_experiments
inline constexpr double kSeconds = 1e9;                       // max_seconds (about 31 years)
}  // namespace limits

struct Config {
  AddressSpace memory;
  TaskSpec search_tasks;
  TaskSpec select_tasks;  // defaults to search_tasks when the file has no [select_tasks]
  TaskSpec final_tasks;   // defaults to select_tasks when the file has no [final_tasks]
  float max_abs_error = 100.0f;
  Combination combination = Combination::Mean;
  AlgorithmConfig algorithm;
  EvolutionConfig evolution;
  FecConfig fec;
  TrainBudgetConfig train_budget;
  ExperimentConfig experiment;
  IslandsConfig islands;
  HurdlesConfig hurdles;

  // Run settings (usually flags, may live in the file).
  uint32_t seed = 0;  // 0: drawn from the clock and printed
  std::string backend = "auto";
  int threads = 0;
  std::string out;  // run directory; empty = runs/<timestamp>-<seed>
  // Wall-clock limit of the whole search command, select and final evaluations included (the search phase ends
  // early enough to leave them time); 0 = none.
  double max_seconds = 0;
  // Seconds between checkpoints of the run's state in the run directory (`amlz search --resume`); 0 = only when
  // a signal stops the run.
  double checkpoint_every = 300;
};

// What a command needs from a config: evaluating needs memory, tasks and evaluation settings; a search needs all.
enum class ConfigUse { Evaluate, Search };

// Checks every value the use needs, the combinations between them, and that the memory the config needs fits the
// machine; throws ConfigError naming the key (ConfigError::key()).
void validate(const Config& c, ConfigUse use);

// What a config needs in memory, estimated before anything is allocated.
struct MemoryEstimate {
  double task_bytes = 0;        // the task sets' data
  double population_bytes = 0;  // the algorithms of the population and one batch of children
  double cache_bytes = 0;       // the FEC cache when full
  double total() const { return task_bytes + population_bytes + cache_bytes; }
};
MemoryEstimate estimate_memory(const Config& c, ConfigUse use);
// Memory the machine can give this process now (MemAvailable, else physical memory); 0 if unknown.
double available_memory_bytes();

}  // namespace amlz
