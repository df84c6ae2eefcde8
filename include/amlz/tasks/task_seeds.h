// SPDX-License-Identifier: Apache-2.0
// Task seeds (spec §5.2): the default seed lists, consecutive seeds past their end, and re-drawing every seed
// of a task spec from a run seed.
#pragma once
#include <cstdint>
#include <random>
#include <vector>

#include "amlz/tasks/task.h"

namespace amlz {

// Seeds of tasks 0..n-1: list element i, then the previous seed + 1 past the end of the list.
std::vector<uint32_t> expand_seeds(const std::vector<uint32_t>& list, int n);
const std::vector<uint32_t>& default_param_seeds();  // {1001, 1012, ...}
const std::vector<uint32_t>& default_data_seeds();   // {11001, 11012, ...}
uint32_t task_param_seed(const TaskSpec& spec, int task);
uint32_t task_data_seed(const TaskSpec& spec, int task);

// A uint32 drawn uniformly from the open interval (1, 2^32 - 1), as the original's "random seed". `gen` is any
// 32-bit generator (std::mt19937, amlz::SearchRng).
template <class Generator>
uint32_t draw_random_seed(Generator& gen) {
  for (;;) {
    const uint32_t s = static_cast<uint32_t>(gen());
    if (s > 1u && s < 0xFFFFFFFFu) return s;
  }
}

// Replaces the spec's seed lists with num_tasks fresh param seeds, then num_tasks data seeds, drawn from
// mt19937(hash_mix(85652777, seed)) and mt19937(hash_mix(38272328, seed)).
void randomize_task_seeds(TaskSpec& spec, uint32_t seed);

}  // namespace amlz
