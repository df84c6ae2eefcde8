// SPDX-License-Identifier: Apache-2.0
#include "amlz/search/hurdles.h"

#include <algorithm>
#include <cmath>
#include <limits>

namespace amlz {

std::vector<size_t> hurdle_stage_ends(const HurdlesConfig& config, size_t tasks) {
  std::vector<size_t> ends;
  if (config.stage_tasks.empty()) {
    if (tasks >= 2) ends.push_back(std::max<size_t>(1, tasks / 5));
  } else {
    for (int t : config.stage_tasks) ends.push_back(static_cast<size_t>(t));
  }
  ends.push_back(tasks);
  return ends;
}

double stage_hurdle(const Population& population, size_t stage, const HurdlesConfig& config) {
  std::vector<double> values;
  for (const Individual& ind : population.slots())
    if (ind.stage_fitness.size() > stage) values.push_back(ind.stage_fitness[stage]);
  if (values.size() < static_cast<size_t>(std::max(1, config.min_samples)))
    return -std::numeric_limits<double>::infinity();
  // The lower nearest-rank percentile: a value some individual really had.
  const size_t k = static_cast<size_t>(std::floor(config.percentile / 100.0 * static_cast<double>(values.size() - 1)));
  std::nth_element(values.begin(), values.begin() + static_cast<std::ptrdiff_t>(k), values.end());
  return values[k];
}

}  // namespace amlz
