// SPDX-License-Identifier: Apache-2.0
// The feature sizes F an evaluator is compiled for: the one list that task validation, both interpreters' per-F
// instantiations and the tests read.
#pragma once
#include <cstddef>
#include <type_traits>

#include "amlz/core/hd.h"

namespace amlz {

inline constexpr int kFeatureSizes[] = {2, 4, 8, 16, 32};

AMLZ_HD constexpr bool is_supported_features(int f) {
  for (int s : kFeatureSizes)
    if (s == f) return true;
  return false;
}

// Calls fn(std::integral_constant<int, F>{}) for the runtime F, so per-F template code is instantiated once per
// supported size; F must be supported (check with is_supported_features first).
template <class Fn>
decltype(auto) with_features(int f, Fn&& fn) {
  switch (f) {
    case 2: return fn(std::integral_constant<int, 2>{});
    case 4: return fn(std::integral_constant<int, 4>{});
    case 8: return fn(std::integral_constant<int, 8>{});
    case 16: return fn(std::integral_constant<int, 16>{});
    default: return fn(std::integral_constant<int, 32>{});
  }
}
constexpr bool feature_sizes_are_the_dispatched_ones() {
  constexpr int dispatched[] = {2, 4, 8, 16, 32};
  if (sizeof(kFeatureSizes) != sizeof(dispatched)) return false;
  for (size_t i = 0; i < sizeof(dispatched) / sizeof(int); ++i)
    if (kFeatureSizes[i] != dispatched[i]) return false;
  return true;
}
static_assert(feature_sizes_are_the_dispatched_ones(), "with_features() must dispatch over exactly kFeatureSizes");

}  // namespace amlz
