// SPDX-License-Identifier: Apache-2.0
// The small islands search the islands tests run in one process, on threads standing in for ranks
// (search/islands_test.cpp) and under mpirun (dist/mpi_group_test.cpp), so that all of them run the same search.
#pragma once
#include <cstdint>

#include "amlz/search/search.h"
#include "test_util.h"

namespace amlz::test {

inline SearchOptions island_search(int islands, int64_t migrate_every, int population = 20, int batch = 5) {
  SearchOptions o;
  o.evolution.population_size = population;
  o.evolution.tournament_size = 5;
  o.evolution.batch_size = batch;
  o.evolution.max_train_steps = 150'000;
  o.evolution.progress_every = 1;
  o.algorithm.initial = InitialAlgorithm::Random;
  o.algorithm.init_sizes = {4, 2, 4};
  o.evolution.mutations = {MutationType::AlterParam, MutationType::RandomizeInstruction,
                           MutationType::RandomizeComponent};
  o.algorithm.ops = demo_ops();
  o.memory = {4, 3, 1};
  o.islands.count = islands;
  o.islands.migrate_every = migrate_every;
  return o;
}

}  // namespace amlz::test
