// SPDX-License-Identifier: Apache-2.0
// The search's sections of a config ([algorithm], [evolution], [experiment]) as the code passes them around: one
// struct per section, filled once by the config binder (src/cli/config_options.cpp), read directly by the search.
#pragma once
#include <cstdint>
#include <limits>
#include <vector>

#include "amlz/core/enum_names.h"
#include "amlz/core/generator.h"
#include "amlz/core/hardcoded_algorithms.h"
#include "amlz/search/mutator.h"

namespace amlz {

enum class SearchKind { Evolution, Random };
template <>
struct EnumNames<SearchKind> {
  static constexpr EnumName<SearchKind> table[] = {{SearchKind::Evolution, "evolution"},
                                                   {SearchKind::Random, "random"}};
};

// [algorithm]: what the initial algorithms are and which ops and sizes each component may have.
struct AlgorithmConfig {
  InitialAlgorithm initial = InitialAlgorithm::NoOp;
  OpLists ops;  // Setup, Predict, Learn; an empty list freezes that component
  ComponentSizes init_sizes;
  // Bounds for insert/remove mutations. As in the original, insertion stops at max - 1 (spec §7); max 0 = unbounded.
  ComponentSizes min_sizes, max_sizes;
};

// [evolution]: regularized evolution (or random search) and its budget.
struct EvolutionConfig {
  SearchKind search = SearchKind::Evolution;
  int population_size = 1000;
  int tournament_size = 10;
  double mutate_prob = 0.9;  // otherwise a child is an exact copy of its parent
  std::vector<MutationType> mutations = {MutationType::AlterParam, MutationType::RandomizeInstruction,
                                         MutationType::RandomizeComponent};  // drawn uniformly; duplicates weight
  // Children made and evaluated together; 0 = chosen for the backend. 1 is exactly the serial algorithm; larger
  // batches draw every parent of a batch from the population as it was before the batch (the paper's parallel
  // workers do the same).
  int batch_size = 0;
  int64_t max_train_steps = 80'000'000'000;  // per experiment, all tasks, FEC pre-runs included
  int64_t progress_every = 10000;            // individuals between progress lines
};

// [islands]: K populations evolved under one search (the paper's workers), each with its own tournament, ageing,
// generator and FEC cache, exchanging migrants at fixed individual counts. In one process all islands' children are
// evaluated in one batch; under MPI the islands are spread over the ranks.
enum class MigrantChoice { Best, Random };
template <>
struct EnumNames<MigrantChoice> {
  static constexpr EnumName<MigrantChoice> table[] = {{MigrantChoice::Best, "best"}, {MigrantChoice::Random, "random"}};
};
struct IslandsConfig {
  int count = 1;              // K; 1 = one population, the original's search
  int64_t migrate_every = 0;  // individuals each island makes between migrations; 0 = never
  int migrants = 0;           // algorithms each island sends per migration; 0 = half the population (as the paper)
  MigrantChoice choice = MigrantChoice::Best;
};

// [hurdles]: progressive dynamic hurdles (paper §3.2, supplement S3). The search tasks are evaluated in stages; after
// each stage but the last, a child whose fitness so far is below the hurdle (a percentile of the stage fitnesses in
// its population) stops there and keeps that fitness.
struct HurdlesConfig {
  bool enabled = false;
  // Cumulative task counts at which stages end, before the last stage (which ends at num_tasks): with 10 tasks,
  // [2] evaluates tasks 0-1, then 2-9. Empty: one hurdle after a fifth of the tasks.
  std::vector<int> stage_tasks;
  double percentile = 75;  // the paper's choice
  // A hurdle is set only once the population holds this many stage fitnesses (before, everyone passes).
  int min_samples = 10;
};

// [experiment]: how many search experiments a run makes (spec §11.3).
struct ExperimentConfig {
  int64_t max_experiments = 1;  // 0 = until sufficient_fitness is exceeded
  bool randomize_task_seeds = false;
  double sufficient_fitness = std::numeric_limits<double>::infinity();
};

}  // namespace amlz
