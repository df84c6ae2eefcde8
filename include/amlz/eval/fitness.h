// SPDX-License-Identifier: Apache-2.0
// Combining per-task fitnesses into one (spec §6).
#pragma once
#include <cstddef>
#include <vector>

#include "amlz/core/enum_names.h"

namespace amlz {

enum class Combination { Mean, Median };

// Mean, or the UPPER median (element n/2 after sorting; no averaging for even n), as the original.
double combine_fitness(std::vector<double> per_task, Combination mode);
// The same on n values that it may reorder (no copy: the search combines every candidate's).
double combine_fitness_in_place(double* per_task, size_t n, Combination mode);
template <>
struct EnumNames<Combination> {
  static constexpr EnumName<Combination> table[] = {{Combination::Mean, "mean"}, {Combination::Median, "median"}};
};

}  // namespace amlz
