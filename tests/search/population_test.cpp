// SPDX-License-Identifier: Apache-2.0
// The population of regularized evolution (spec §8): tournaments with replacement (fittest drawn wins, ties to the
// earliest drawn), aging (a child replaces the oldest, slots written cyclically), best() ties to the lowest slot,
// and the population mean / standard deviation printed in progress lines.
#include "amlz/search/population.h"

#include <cmath>
#include <set>
#include <vector>

#include "test_util.h"

namespace amlz {
namespace {

// A population whose slot i holds an individual with id i and fitness[i].
Population controlled(const std::vector<double>& fitness) {
  Population p(static_cast<int>(fitness.size()));
  for (size_t i = 0; i < fitness.size(); ++i) p.add(Individual{Algorithm{}, fitness[i], i, {}});
  return p;
}

TEST(PopulationTournament, FittestOfTheDrawnWinsAndTiesGoToTheEarliestDrawn) {
  // Three individuals share the top fitness 0.9 (slots 1, 2 and 4), so whenever more than one of them is drawn
  // the tie rule decides. The expected winner is recomputed from a copy of the generator: the tournament draws T
  // slots uniformly from [0, P) (with replacement), and nothing else.
  const Population pop = controlled({0.5, 0.9, 0.9, 0.1, 0.9, 0.5});
  SearchRng rng(17);
  int ties_decided = 0;
  for (int trial = 0; trial < 2000; ++trial) {
    const int t = 1 + trial % 5;
    SearchRng replay = rng;
    const Individual& winner = pop.tournament(t, rng);
    int expected = -1, top_drawn = 0;
    for (int i = 0; i < t; ++i) {
      const int slot = static_cast<int>(replay.uniform_below(static_cast<uint32_t>(pop.size())));
      if (pop.slots()[slot].fitness == 0.9) ++top_drawn;
      if (expected < 0 || pop.slots()[slot].fitness > pop.slots()[expected].fitness) expected = slot;
    }
    ASSERT_EQ(winner.id, static_cast<uint64_t>(expected)) << "trial " << trial << ", T = " << t;
    ASSERT_EQ(replay.next_u32(), SearchRng(rng).next_u32()) << "the tournament drew more than T numbers";
    ties_decided += top_drawn > 1;
  }
  EXPECT_GT(ties_decided, 100) << "the tie rule was hardly exercised";
}

TEST(PopulationTournament, DrawsWithReplacement) {
  // P = 3, T = 3. With replacement the worst individual wins exactly when all three draws are it: (1/3)^3 = 1/27.
  // Without replacement it could never win. 5400 trials: expected 200 wins, standard deviation ~14.
  const Population pop = controlled({0.1, 0.5, 0.9});
  SearchRng rng(23);
  int worst = 0, best = 0;
  for (int trial = 0; trial < 5400; ++trial) {
    const uint64_t id = pop.tournament(3, rng).id;
    worst += id == 0;
    best += id == 2;
  }
  EXPECT_GT(worst, 120);
  EXPECT_LT(worst, 290);
  // The best wins unless it is never drawn: 1 - (2/3)^3 = 19/27 ~ 3800 of 5400 (sd ~34).
  EXPECT_GT(best, 3600);
  EXPECT_LT(best, 4000);
  // A tournament larger than the population is fine with replacement.
  const Population one = controlled({0.3});
  EXPECT_EQ(one.tournament(10, rng).id, 0u);
}

TEST(PopulationAging, AfterPPlusKInsertionsTheFirstKAreGoneAndSlotsAreWrittenCyclically) {
  const int p = 5;
  Population pop(p);
  for (uint64_t id = 0; id < 17; ++id) {
    std::set<uint64_t> before;
    for (const Individual& ind : pop.slots()) before.insert(ind.id);
    pop.add(Individual{Algorithm{}, 0.5, id, {}});
    const uint64_t n = id + 1;  // insertions so far
    ASSERT_EQ(pop.size(), std::min<size_t>(n, p));
    // The survivors are the p youngest: ids n-p .. n-1 (or all of them before the population is full).
    std::set<uint64_t> ids, expected;
    for (const Individual& ind : pop.slots()) ids.insert(ind.id);
    for (uint64_t k = n > p ? n - p : 0; k < n; ++k) expected.insert(k);
    ASSERT_EQ(ids, expected) << "after " << n << " insertions";
    // The one that died is the oldest of those before.
    if (n > p) {
      ASSERT_EQ(*before.begin(), n - p - 1);
    }
    // Slot i holds the latest id congruent to i modulo p.
    for (size_t i = 0; i < pop.size(); ++i) ASSERT_EQ(pop.slots()[i].id % p, i);
    ASSERT_EQ(pop.next_slot(), n % p);
  }
  // Spelled out for P = 5 after 7 insertions: [5, 6, 2, 3, 4].
  Population small(5);
  for (uint64_t id = 0; id < 7; ++id) small.add(Individual{Algorithm{}, 0.0, id, {}});
  std::vector<uint64_t> order;
  for (const Individual& ind : small.slots()) order.push_back(ind.id);
  EXPECT_EQ(order, (std::vector<uint64_t>{5, 6, 2, 3, 4}));
}

TEST(PopulationAging, TheFittestDiesToo) {
  // Regularized evolution kills by age, never by fitness: a perfect individual is replaced on schedule.
  Population pop(3);
  pop.add(Individual{Algorithm{}, 1.0, 0, {}});
  pop.add(Individual{Algorithm{}, 0.1, 1, {}});
  pop.add(Individual{Algorithm{}, 0.2, 2, {}});
  pop.add(Individual{Algorithm{}, 0.0, 3, {}});
  EXPECT_EQ(pop.slots()[0].id, 3u);
  EXPECT_EQ(pop.best().id, 2u);
}

TEST(PopulationBest, TiesGoToTheLowestSlotNotTheOldest) {
  EXPECT_EQ(controlled({0.2, 0.7, 0.7, 0.1}).best().id, 1u);
  // After wrapping, slot 0 holds the youngest (id 3); it ties with id 1 in slot 1 and wins by slot.
  Population pop(3);
  pop.add(Individual{Algorithm{}, 0.4, 0, {}});
  pop.add(Individual{Algorithm{}, 0.9, 1, {}});
  pop.add(Individual{Algorithm{}, 0.3, 2, {}});
  pop.add(Individual{Algorithm{}, 0.9, 3, {}});
  EXPECT_EQ(pop.best().id, 3u);
}

TEST(PopulationStatistics, MeanAndPopulationStandardDeviation) {
  // Population (not sample) formula: {0, 1} has sd 0.5 (the sample formula would give 0.707).
  const Population two = controlled({0.0, 1.0});
  EXPECT_DOUBLE_EQ(two.mean_fitness(), 0.5);
  EXPECT_NEAR(two.stdev_fitness(), 0.5, 1e-12);
  // {0.2, 0.4, 0.6, 0.8}: variance (0.09 + 0.01 + 0.01 + 0.09) / 4 = 0.05.
  const Population four = controlled({0.2, 0.4, 0.6, 0.8});
  EXPECT_NEAR(four.mean_fitness(), 0.5, 1e-12);
  EXPECT_NEAR(four.stdev_fitness(), std::sqrt(0.05), 1e-12);
}

TEST(PopulationStatistics, VarianceIsClampedAtZeroForEqualFitnesses) {
  // E[x^2] - E[x]^2 of equal values can round below 0 (e.g. three times 0.1 gives -1.7e-18 in doubles); the
  // standard deviation must then be 0, not NaN.
  for (double v : {0.1, 0.3, 0.6, 0.7, 0.9, 1.0, 0.0}) {
    for (int n : {3, 7, 10, 100}) {
      const Population pop = controlled(std::vector<double>(static_cast<size_t>(n), v));
      const double sd = pop.stdev_fitness();
      EXPECT_FALSE(std::isnan(sd)) << v << " x " << n;
      EXPECT_GE(sd, 0.0) << v << " x " << n;
      EXPECT_LT(sd, 1e-7) << v << " x " << n;
    }
  }
}

TEST(Population, EmptyPopulationHasNoBestAndZeroStatistics) {
  const Population pop(4);
  EXPECT_EQ(pop.size(), 0u);
  EXPECT_FALSE(pop.full());
  EXPECT_EQ(pop.mean_fitness(), 0.0);
  EXPECT_EQ(pop.stdev_fitness(), 0.0);
  EXPECT_THROW(pop.best(), std::logic_error);
  SearchRng rng(1);
  EXPECT_THROW(pop.tournament(2, rng), std::logic_error);
  EXPECT_THROW(Population(0), std::logic_error);
}

}  // namespace
}  // namespace amlz
