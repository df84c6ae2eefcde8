// SPDX-License-Identifier: Apache-2.0
#include "amlz/eval/fitness.h"

#include <algorithm>

#include "amlz/error.h"

namespace amlz {

double combine_fitness(std::vector<double> f, Combination mode) {
  return combine_fitness_in_place(f.data(), f.size(), mode);
}

double combine_fitness_in_place(double* f, size_t n, Combination mode) {
  AMLZ_CHECK(n > 0, "no task fitnesses to combine");
  if (mode == Combination::Median) {
    double* mid = f + n / 2;
    std::nth_element(f, mid, f + n);
    return *mid;
  }
  double sum = 0.0;
  for (size_t i = 0; i < n; ++i) sum += f[i];
  return sum / static_cast<double>(n);
}

}  // namespace amlz
