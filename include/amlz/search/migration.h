// SPDX-License-Identifier: Apache-2.0
// Migration between islands (the paper's workers exchanging algorithms): in round r every island sends its
// migrants to the island a shift s_r further round the ring (s_r in [1, K-1], drawn from the migration stream, the
// same on every process), and the arrivals replace the receiver's oldest individuals.
#pragma once
#include <cstdint>
#include <vector>

#include "amlz/core/search_rng.h"
#include "amlz/search/population.h"
#include "amlz/search/search_config.h"

namespace amlz {

// The destination of island `island` (of `islands`) in a round whose shift is `shift`.
inline uint32_t migration_destination(uint32_t island, uint32_t islands, uint32_t shift) {
  return (island + shift) % islands;
}

// A round's shift, the next draw of the migration stream: uniform in [1, islands - 1].
uint32_t next_migration_shift(SearchRng& stream, uint32_t islands);

// The individuals an island sends: the `count` fittest (ties: the older first), or `count` distinct random ones
// drawn with the island's generator.
std::vector<Individual> choose_migrants(const Population& population, int count, MigrantChoice choice, SearchRng& rng);

// How many migrants a round moves for this configuration (0 in the config: half the population, at least 1).
int migrant_count(const IslandsConfig& islands, int population_size);

}  // namespace amlz
