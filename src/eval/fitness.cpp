// SPDX-License-Identifier: Apache-2.0
#include "amlz/eval/fitness.h"

#include <algorithm>

#include "amlz/error.h"

namespace amlz {

double combine_fitness(std::vector<double> f, Combination mode) {
  AMLZ_CHECK(!f.empty(), "no task fitnesses to combine");
  if (mode == Combination::Median) {
    const auto mid = f.begin() + static_cast<std::ptrdiff_t>(f.size() / 2);
    std::nth_element(f.begin(), mid, f.end());
    return *mid;
  }
  double sum = 0.0;
  for (double x : f) sum += x;
  return sum / static_cast<double>(f.size());
}

}  // namespace amlz
