// SPDX-License-Identifier: Apache-2.0
#include "amlz/search/migration.h"

#include <algorithm>
#include <numeric>

#include "amlz/error.h"

namespace amlz {

uint32_t next_migration_shift(SearchRng& stream, uint32_t islands) {
  AMLZ_CHECK(islands >= 2, "migration needs two islands");
  return 1 + stream.uniform_below(islands - 1);
}

int migrant_count(const IslandsConfig& islands, int population_size) {
  return islands.migrants > 0 ? std::min(islands.migrants, population_size) : std::max(1, population_size / 2);
}

std::vector<Individual> choose_migrants(const Population& population, int count, MigrantChoice choice, SearchRng& rng) {
  const std::vector<Individual>& slots = population.slots();
  const size_t n = std::min(static_cast<size_t>(count), slots.size());
  std::vector<size_t> order(slots.size());
  std::iota(order.begin(), order.end(), size_t{0});
  if (choice == MigrantChoice::Best) {
    // Fittest first; among equals the one created first (a lower id), so the choice never depends on slot order.
    std::partial_sort(
        order.begin(), order.begin() + static_cast<std::ptrdiff_t>(n), order.end(), [&](size_t a, size_t b) {
          return slots[a].fitness != slots[b].fitness ? slots[a].fitness > slots[b].fitness : slots[a].id < slots[b].id;
        });
  } else {
    for (size_t i = 0; i < n; ++i)  // a partial Fisher-Yates shuffle
      std::swap(order[i], order[i + rng.uniform_below(static_cast<uint32_t>(order.size() - i))]);
  }
  std::vector<Individual> out;
  out.reserve(n);
  for (size_t i = 0; i < n; ++i) out.push_back(slots[order[i]]);
  return out;
}

}  // namespace amlz
