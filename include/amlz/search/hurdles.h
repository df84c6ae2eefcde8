// SPDX-License-Identifier: Apache-2.0
// Progressive dynamic hurdles (paper §3.2, So et al. 2019): where the stages of a child's evaluation end, and the
// hurdle of each stage, computed from the stage fitnesses its island's population already holds.
#pragma once
#include <cstddef>
#include <vector>

#include "amlz/search/population.h"
#include "amlz/search/search_config.h"

namespace amlz {

// Cumulative task counts at which stages end, the last one `tasks`: the configured ones (each in [1, tasks),
// ascending), or one hurdle after a fifth of the tasks when none are configured. With one task there is one stage.
std::vector<size_t> hurdle_stage_ends(const HurdlesConfig& config, size_t tasks);

// The hurdle of stage `stage`: the configured percentile of that stage's fitness over the individuals that reached
// it; -inf (nobody stopped) while fewer than min_samples of them exist.
double stage_hurdle(const Population& population, size_t stage, const HurdlesConfig& config);

}  // namespace amlz
