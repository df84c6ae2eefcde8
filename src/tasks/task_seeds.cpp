// SPDX-License-Identifier: Apache-2.0
#include "amlz/tasks/task_seeds.h"

#include "amlz/core/hash.h"

namespace amlz {

const std::vector<uint32_t>& default_param_seeds() {
  static const std::vector<uint32_t> seeds = {1001, 1012, 1010, 1000, 1006, 1008, 1007, 1003};
  return seeds;
}
const std::vector<uint32_t>& default_data_seeds() {
  static const std::vector<uint32_t> seeds = {11001, 11012, 11010, 11000, 11006, 11008, 11007, 11003};
  return seeds;
}

std::vector<uint32_t> expand_seeds(const std::vector<uint32_t>& list, int n) {
  std::vector<uint32_t> out;
  for (int i = 0; i < n; ++i) {
    const size_t k = static_cast<size_t>(i);
    out.push_back(k < list.size() ? list[k] : out.back() + 1u);
  }
  return out;
}

namespace {

// Element `task` of expand_seeds(list, task + 1), in constant time (a task set asks once per task).
uint32_t seed_of(const std::vector<uint32_t>& list, int task) {
  const size_t k = static_cast<size_t>(task);
  if (k < list.size()) return list[k];
  return list.back() + static_cast<uint32_t>(k - list.size() + 1);
}

}  // namespace

uint32_t task_param_seed(const TaskSpec& spec, int task) {
  return seed_of(spec.param_seeds.empty() ? default_param_seeds() : spec.param_seeds, task);
}
uint32_t task_data_seed(const TaskSpec& spec, int task) {
  return seed_of(spec.data_seeds.empty() ? default_data_seeds() : spec.data_seeds, task);
}

void randomize_task_seeds(TaskSpec& spec, uint32_t seed) {
  std::mt19937 param_gen(hash_mix(85652777u, seed));
  std::mt19937 data_gen(hash_mix(38272328u, seed));
  spec.param_seeds.clear();
  spec.data_seeds.clear();
  for (int i = 0; i < spec.num_tasks; ++i) spec.param_seeds.push_back(draw_random_seed(param_gen));
  for (int i = 0; i < spec.num_tasks; ++i) spec.data_seeds.push_back(draw_random_seed(data_gen));
}

}  // namespace amlz
