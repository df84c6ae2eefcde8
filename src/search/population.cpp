// SPDX-License-Identifier: Apache-2.0
#include "amlz/search/population.h"

#include <cmath>

#include "amlz/error.h"

namespace amlz {

Population::Population(int capacity) : capacity_(capacity) {
  AMLZ_CHECK(capacity > 0, "population capacity must be positive");
  slots_.reserve(static_cast<size_t>(capacity));
}

Population::Population(int capacity, std::vector<Individual> slots, size_t next_slot) : Population(capacity) {
  AMLZ_CHECK(slots.size() <= static_cast<size_t>(capacity), "a saved population larger than its capacity");
  const bool full = slots.size() == static_cast<size_t>(capacity);
  AMLZ_CHECK(full ? next_slot < slots.size() : next_slot == slots.size() % static_cast<size_t>(capacity),
             "a saved population's next slot is out of place");
  slots_ = std::move(slots);
  next_ = next_slot;
}

void Population::add(Individual ind) {
  if (!full()) {
    slots_.push_back(std::move(ind));
    next_ = slots_.size() % static_cast<size_t>(capacity_);
    return;
  }
  slots_[next_] = std::move(ind);
  next_ = (next_ + 1) % static_cast<size_t>(capacity_);
}

const Individual& Population::tournament(int size, SearchRng& rng) const {
  AMLZ_CHECK(!slots_.empty() && size > 0, "tournament on an empty population");
  const Individual* winner = nullptr;
  for (int i = 0; i < size; ++i) {
    const Individual& c = slots_[rng.uniform_below(static_cast<uint32_t>(slots_.size()))];
    if (winner == nullptr || c.fitness > winner->fitness) winner = &c;
  }
  return *winner;
}

const Individual& Population::best() const {
  AMLZ_CHECK(!slots_.empty(), "best of an empty population");
  const Individual* best = &slots_[0];
  for (const Individual& ind : slots_)
    if (ind.fitness > best->fitness) best = &ind;
  return *best;
}

double Population::mean_fitness() const {
  double sum = 0.0;
  for (const Individual& ind : slots_) sum += ind.fitness;
  return slots_.empty() ? 0.0 : sum / static_cast<double>(slots_.size());
}

double Population::stdev_fitness() const {
  if (slots_.empty()) return 0.0;
  const double mean = mean_fitness();
  double sq = 0.0;
  for (const Individual& ind : slots_) sq += ind.fitness * ind.fitness;
  const double var = sq / static_cast<double>(slots_.size()) - mean * mean;
  return var > 0.0 ? std::sqrt(var) : 0.0;
}

}  // namespace amlz
