// SPDX-License-Identifier: Apache-2.0
// The population of regularized evolution (spec §8): a FIFO of P slots written cyclically, so the individual a
// child replaces is always the oldest; tournaments of T draws with replacement pick parents.
#pragma once
#include <cstdint>
#include <vector>

#include "amlz/core/algorithm.h"
#include "amlz/core/search_rng.h"

namespace amlz {

struct Individual {
  Algorithm algorithm;
  double fitness = 0.0;
  uint64_t id = 0;                    // 0-based order of creation in its island's experiment
  std::vector<double> stage_fitness;  // with hurdles: its fitness after each stage it reached before the last
};

class Population {
 public:
  explicit Population(int capacity);
  // A population as a checkpoint saved it: its slots in order and the slot the next individual replaces.
  Population(int capacity, std::vector<Individual> slots, size_t next_slot);

  // Places `ind` in the next slot, overwriting the oldest once the population is full.
  void add(Individual ind);

  // T indices drawn uniformly with replacement; the fittest wins, ties going to the earliest drawn.
  const Individual& tournament(int size, SearchRng& rng) const;
  // Highest fitness, ties going to the lowest slot.
  const Individual& best() const;
  double mean_fitness() const;
  double stdev_fitness() const;  // population standard deviation (variance clamped at 0)

  size_t size() const { return slots_.size(); }
  bool full() const { return static_cast<int>(slots_.size()) == capacity_; }
  const std::vector<Individual>& slots() const { return slots_; }
  size_t next_slot() const { return next_; }

 private:
  int capacity_;
  std::vector<Individual> slots_;
  size_t next_ = 0;
};

}  // namespace amlz
