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

  // Run settings (usually flags, may live in the file).
  uint32_t seed = 0;  // 0: drawn from the clock and printed
  std::string backend = "auto";
  int threads = 0;
  std::string out;         // run directory; empty = runs/<timestamp>-<seed>
  double max_seconds = 0;  // 0 = no wall-clock limit
};

// What a command needs from a config: evaluating needs memory, tasks and evaluation settings; a search needs all.
enum class ConfigUse { Evaluate, Search };

// Checks every value the use needs and the combinations between them; throws ConfigError naming the key.
void validate(const Config& c, ConfigUse use);

}  // namespace amlz
