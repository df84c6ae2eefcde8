// SPDX-License-Identifier: Apache-2.0
// Everything a run is configured by, in one aggregate with in-class defaults. Filled from a TOML file plus
// command-line overrides (src/cli/config_options.cpp) and validated once by validate().
#pragma once
#include <cstdint>
#include <limits>
#include <string>
#include <vector>

#include "amlz/core/algorithm.h"
#include "amlz/eval/fitness.h"
#include "amlz/core/generator.h"
#include "amlz/core/hardcoded_algorithms.h"
#include "amlz/search/mutator.h"
#include "amlz/tasks/task.h"

namespace amlz {

enum class SearchKind { Evolution, Random };

struct AlgorithmConfig {
  InitialAlgorithm initial = InitialAlgorithm::NoOp;
  OpLists ops;  // Setup, Predict, Learn
  ComponentSizes init_sizes;
  ComponentSizes min_sizes, max_sizes;  // for insert/remove mutations; max 0 = unbounded
};

struct EvolutionConfig {
  SearchKind search = SearchKind::Evolution;
  int population_size = 1000;
  int tournament_size = 10;
  double mutate_prob = 0.9;
  std::vector<MutationType> mutations = {MutationType::AlterParam, MutationType::RandomizeInstruction,
                                         MutationType::RandomizeComponent};
  int batch_size = 0;                       // children evaluated together; 0 = chosen for the backend
  int64_t max_train_steps = 80'000'000'000;  // per experiment, all tasks, FEC pre-runs included
  int64_t progress_every = 10000;           // individuals between progress lines
};

struct FecConfig {
  bool enabled = false;
  int num_train = 10;
  int num_valid = 10;
  int cache_size = 100000;
  int forget_every = 100;  // 0 = never forget
};

struct TrainBudgetConfig {
  bool enabled = false;
  InitialAlgorithm baseline = InitialAlgorithm::NeuralNet;
  double threshold_factor = 2.0;
};

struct ExperimentConfig {
  int64_t max_experiments = 1;  // 0 = until sufficient_fitness is exceeded
  bool randomize_task_seeds = false;
  double sufficient_fitness = std::numeric_limits<double>::infinity();
};

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
  std::string out;          // run directory; empty = runs/<timestamp>-<seed>
  double max_seconds = 0;   // 0 = no wall-clock limit
};

// What a command needs from a config: evaluating needs memory, tasks and evaluation settings; a search needs all.
enum class ConfigUse { Evaluate, Search };

// Checks every value the use needs and the combinations between them; throws ConfigError naming the key.
void validate(const Config& c, ConfigUse use);

MutatorOptions mutator_options(const Config& c);

}  // namespace amlz
