// SPDX-License-Identifier: Apache-2.0
// Islands (issue: scale out): K populations in one search, migration, and the SearchGroup protocol that spreads
// them over processes. ThreadGroup plays N processes with N threads, so the protocol is checked without MPI: K
// islands over N "ranks" must reach exactly what K islands in one process reach. Also the byte encoding migrants
// travel in, and progressive dynamic hurdles.
#include <algorithm>
#include <cmath>
#include <condition_variable>
#include <limits>
#include <map>
#include <memory>
#include <mutex>
#include <thread>

#include <gtest/gtest.h>

#include "amlz/core/algorithm_text.h"
#include "amlz/error.h"
#include "amlz/eval/cpu_evaluator.h"
#include "amlz/search/hurdles.h"
#include "amlz/search/migration.h"
#include "amlz/search/search.h"
#include "amlz/search/wire.h"
#include "search/island_search.h"
#include "search/thread_group.h"
#include "test_util.h"

namespace amlz {
namespace {

using test::island_search;
using test::ThreadGroup;
using test::ThreadWorld;

TaskSet tasks() { return make_task_set(test::regression_spec(TaskType::Linear, 4, 3, 20, 10)); }

CandidateEvalOptions with_fec() {
  CandidateEvalOptions o;
  o.fec = FecConfig{true, 5, 5, 10000, 100};
  return o;
}

// The final populations of a run, island by island, and its result.
struct IslandRun {
  SearchResult result;
  std::vector<std::vector<Individual>> islands;  // indexed by global island id
  double shown_best = 0;                         // what the observer of rank 0 (or the one process) was shown
};

class Snapshot final : public SearchObserver {
 public:
  void on_batch(const SearchProgress&, const SearchState& state) override {
    for (size_t i = 0; i < state.islands.size(); ++i) islands[state.island_ids[i]] = state.islands[i]->slots();
    shown_best = std::max(shown_best, state.best().fitness);
  }
  std::map<uint32_t, std::vector<Individual>> islands;
  double shown_best = -std::numeric_limits<double>::infinity();  // the fittest state.best() passed to the observer
};

IslandRun run_in_one_process(const SearchOptions& o, uint64_t seed) {
  const TaskSet t = tasks();
  auto cpu = make_cpu_evaluator({1, Precision::Float32, CpuInterpreter::Reference});
  CandidateEvaluator ev(*cpu, t, with_fec(), static_cast<size_t>(o.islands.count));
  SearchRng rng(seed);
  Snapshot snap;
  IslandRun run;
  run.result = run_search(o, ev, rng, &snap);
  for (auto& [id, slots] : snap.islands) run.islands.push_back(slots);
  run.shown_best = snap.shown_best;
  return run;
}

IslandRun run_on_threads(SearchOptions o, uint64_t seed, int ranks) {
  ThreadWorld world(ranks);
  std::vector<SearchResult> results(static_cast<size_t>(ranks));
  std::vector<Snapshot> snaps(static_cast<size_t>(ranks));
  std::vector<std::thread> threads;
  for (int r = 0; r < ranks; ++r)
    threads.emplace_back([&, r] {
      ThreadGroup group(world, r);
      SearchOptions mine = o;
      mine.group = &group;
      const TaskSet t = tasks();
      auto cpu = make_cpu_evaluator({1, Precision::Float32, CpuInterpreter::Reference});
      const uint32_t local = static_cast<uint32_t>(group.local_islands(static_cast<uint32_t>(o.islands.count)).size());
      CandidateEvaluator ev(*cpu, t, with_fec(), local);
      SearchRng rng(seed);
      results[static_cast<size_t>(r)] = run_search(mine, ev, rng, &snaps[static_cast<size_t>(r)]);
    });
  for (std::thread& th : threads) th.join();
  IslandRun run;
  run.result = results[0];
  run.shown_best = snaps[0].shown_best;
  std::map<uint32_t, std::vector<Individual>> all;
  for (const Snapshot& s : snaps) all.insert(s.islands.begin(), s.islands.end());
  for (auto& [id, slots] : all) run.islands.push_back(slots);
  return run;
}

void expect_same_islands(const IslandRun& a, const IslandRun& b) {
  ASSERT_EQ(a.islands.size(), b.islands.size());
  for (size_t i = 0; i < a.islands.size(); ++i) {
    ASSERT_EQ(a.islands[i].size(), b.islands[i].size()) << "island " << i;
    for (size_t k = 0; k < a.islands[i].size(); ++k) {
      EXPECT_EQ(a.islands[i][k].algorithm, b.islands[i][k].algorithm) << "island " << i << " slot " << k;
      EXPECT_EQ(a.islands[i][k].fitness, b.islands[i][k].fitness) << "island " << i << " slot " << k;
    }
  }
  EXPECT_EQ(a.result.individuals, b.result.individuals);
  EXPECT_EQ(a.result.train_steps, b.result.train_steps);
  ASSERT_EQ(a.result.island_bests.size(), b.result.island_bests.size());
  for (size_t i = 0; i < a.result.island_bests.size(); ++i)
    EXPECT_EQ(a.result.island_bests[i].algorithm, b.result.island_bests[i].algorithm) << "island " << i;
  EXPECT_EQ(a.result.best.algorithm, b.result.best.algorithm);
}

TEST(Islands, OneSeedGivesOneRun) {
  const SearchOptions o = island_search(4, 20);
  expect_same_islands(run_in_one_process(o, 7), run_in_one_process(o, 7));
}

TEST(Islands, TheSameIslandsOnSeveralProcessesReachTheSameResult) {
  // Round-robin: 4 islands over 2 ranks (0, 2 | 1, 3), 3 islands over 2 (0, 2 | 1); migration every generation.
  for (int k : {4, 3}) {
    SCOPED_TRACE("islands " + std::to_string(k));
    const SearchOptions o = island_search(k, 20);
    const IslandRun one = run_in_one_process(o, 11);
    expect_same_islands(one, run_on_threads(o, 11, 2));
    EXPECT_EQ(one.result.island_bests.size(), static_cast<size_t>(k));
    EXPECT_GT(one.result.individuals, 0);
  }
}

TEST(Islands, RankZeroIsShownTheFittestIslandOfEveryRank) {
  // Two islands without migration on two ranks; in this run island 1 (rank 1's) ends fitter than island 0. Rank 0's
  // observer (the live status line, best_algorithm.txt and best_history.csv during the run) used to be shown its
  // own island only, and never the run's best. (A population's best can age out, so what was shown may exceed it.)
  SearchOptions o = island_search(2, 0);
  const IslandRun one = run_in_one_process(o, 4);
  ASSERT_EQ(one.result.island_bests.size(), 2u);
  ASSERT_GT(one.result.island_bests[1].fitness, one.result.island_bests[0].fitness) << "pick another seed";
  EXPECT_GE(one.shown_best, one.result.best.fitness);
  const IslandRun two = run_on_threads(o, 4, 2);
  expect_same_islands(one, two);
  EXPECT_GE(two.shown_best, one.result.best.fitness);  // at the last progress report, the search's end
}

TEST(Islands, WithoutMigrationIslandsEvolveApart) {
  // No migration: the islands never share an individual, so their final populations hold different algorithms.
  const IslandRun run = run_in_one_process(island_search(3, 0), 5);
  ASSERT_EQ(run.islands.size(), 3u);
  for (size_t a = 0; a < 3; ++a)
    for (size_t b = a + 1; b < 3; ++b) {
      size_t shared = 0;
      for (const Individual& x : run.islands[a])
        for (const Individual& y : run.islands[b]) shared += x.algorithm == y.algorithm;
      EXPECT_EQ(shared, 0u) << "islands " << a << " and " << b;
    }
}

TEST(Islands, MigrantsArriveAtTheShiftedIslandAndReplaceTheOldest) {
  // Two islands, one migration after the initial populations: each island's 10 fittest go to the other one,
  // which replaces its 10 oldest (slots 0-9) with them, in order.
  SearchOptions o = island_search(2, 20, 20, 20);
  o.islands.migrants = 10;
  o.evolution.max_train_steps = 1;  // initialisation, then one generation
  class BeforeAndAfter final : public SearchObserver {
   public:
    void on_batch(const SearchProgress& p, const SearchState& state) override {
      if (p.individuals == 40 && first.empty())
        for (const Population* pop : state.islands) first.push_back(pop->slots());
    }
    std::vector<std::vector<Individual>> first;
  } watch;
  const TaskSet t = tasks();
  auto cpu = make_cpu_evaluator({1, Precision::Float32, CpuInterpreter::Reference});
  CandidateEvaluator ev(*cpu, t, CandidateEvalOptions{}, 2);
  SearchRng rng(3);
  run_search(o, ev, rng, &watch);
  ASSERT_EQ(watch.first.size(), 2u);
  // After the first batch (the initial populations, 20 each) the migration has happened: with two islands the shift
  // is 1, so island 0's slots 0-9 are island 1's ten fittest and vice versa.
  for (int to = 0; to < 2; ++to) {
    const std::vector<Individual>& arrived = watch.first[static_cast<size_t>(to)];
    std::vector<double> fitness;
    for (int k = 0; k < 10; ++k) fitness.push_back(arrived[static_cast<size_t>(k)].fitness);
    EXPECT_TRUE(std::is_sorted(fitness.rbegin(), fitness.rend())) << "the fittest first";
    // The rest are the island's own younger half: ids 10-19.
    for (int k = 10; k < 20; ++k) EXPECT_EQ(arrived[static_cast<size_t>(k)].id, static_cast<uint64_t>(k));
  }
}

TEST(Migration, ShiftsStayInRangeAndChoicesAreAsAsked) {
  SearchRng stream(1);
  for (int i = 0; i < 1000; ++i) {
    const uint32_t s = next_migration_shift(stream, 5);
    ASSERT_GE(s, 1u);
    ASSERT_LE(s, 4u);
  }
  EXPECT_EQ(migration_destination(3, 5, 4), 2u);
  Population pop(6);
  for (int i = 0; i < 6; ++i) pop.add(Individual{Algorithm{}, i == 2 ? 0.9 : 0.1 * i, static_cast<uint64_t>(i), {}});
  SearchRng rng(2);
  const auto best = choose_migrants(pop, 3, MigrantChoice::Best, rng);
  ASSERT_EQ(best.size(), 3u);
  EXPECT_EQ(best[0].id, 2u);  // 0.9
  EXPECT_EQ(best[1].id, 5u);  // 0.5
  EXPECT_EQ(best[2].id, 4u);  // 0.4
  const auto random = choose_migrants(pop, 4, MigrantChoice::Random, rng);
  std::vector<uint64_t> ids;
  for (const Individual& m : random) ids.push_back(m.id);
  std::sort(ids.begin(), ids.end());
  EXPECT_EQ(std::unique(ids.begin(), ids.end()), ids.end()) << "random migrants are distinct";
  EXPECT_EQ(migrant_count(IslandsConfig{}, 100), 50);  // the paper's half
  EXPECT_EQ(migrant_count(IslandsConfig{2, 10, 7}, 100), 7);
}

TEST(Wire, IndividualsRoundTripBitForBit) {
  Individual ind;
  ind.algorithm = test::parse(
      "def Setup():\n  s2 = -0.0\n  m0[0.25, 0.5] = 1e-40\ndef Predict():\n  s1 = dot(v1, v0)\n"
      "def Learn():\n  v2 = uniform(-1, 1, n_features)\n");
  ind.fitness = 0.123456789012345;
  ind.id = 1ull << 40;
  ind.stage_fitness = {0.5, std::numeric_limits<double>::quiet_NaN()};
  const std::string bytes = encode_individuals({ind, Individual{}});
  const auto back = decode_individuals(bytes, "test");
  ASSERT_EQ(back.size(), 2u);
  EXPECT_EQ(back[0].algorithm, ind.algorithm);
  EXPECT_EQ(back[0].fitness, ind.fitness);
  EXPECT_EQ(back[0].id, ind.id);
  ASSERT_EQ(back[0].stage_fitness.size(), 2u);
  EXPECT_TRUE(std::isnan(back[0].stage_fitness[1]));
  // Every shorter prefix is refused, never misread.
  for (size_t n = 0; n < bytes.size(); n += 7) EXPECT_THROW(decode_individuals(bytes.substr(0, n), "cut"), Error);
  EXPECT_THROW(decode_individuals(bytes + "x", "long"), Error);
}

TEST(Hurdles, StageEndsAndPercentiles) {
  HurdlesConfig h;
  EXPECT_EQ(hurdle_stage_ends(h, 10), (std::vector<size_t>{2, 10}));
  EXPECT_EQ(hurdle_stage_ends(h, 1), (std::vector<size_t>{1}));
  h.stage_tasks = {3, 6};
  EXPECT_EQ(hurdle_stage_ends(h, 10), (std::vector<size_t>{3, 6, 10}));
  Population pop(20);
  for (int i = 0; i < 8; ++i) pop.add(Individual{Algorithm{}, 0, 0, {0.1 * i}});
  h.min_samples = 10;
  EXPECT_TRUE(std::isinf(stage_hurdle(pop, 0, h))) << "too few samples: everyone passes";
  for (int i = 8; i < 11; ++i) pop.add(Individual{Algorithm{}, 0, 0, {0.1 * i}});
  pop.add(Individual{});  // stopped before stage 0 was recorded (no stage fitness): not a sample
  EXPECT_DOUBLE_EQ(stage_hurdle(pop, 0, h), 0.1 * 7);  // 11 values 0.0..1.0: the 75th percentile is rank 7
  EXPECT_TRUE(std::isinf(stage_hurdle(pop, 1, h)));
}

TEST(Hurdles, ChildrenBelowAHurdleStopWithTheirStageFitness) {
  // Three candidates on 4 tasks in stages {1, 4}: a hurdle between the first task and the rest.
  const TaskSet t = make_task_set(test::regression_spec(TaskType::Linear, 4, 4, 30, 10));
  auto cpu = make_cpu_evaluator({1, Precision::Float32, CpuInterpreter::Reference});
  CandidateEvaluator ev(*cpu, t, CandidateEvalOptions{});
  const Algorithm good = linear_algorithm(0.1f);
  const Algorithm bad = test::parse("def Setup():\ndef Predict():\n  s1 = s0 - s0\ndef Learn():\n");
  const PreparedBatch batch = ev.prepare({&good, &bad, &good}, {1, 2, 3});
  const auto full = CandidateEvaluator(*cpu, t, CandidateEvalOptions{}).evaluate(batch);
  StagePlan plan{{1, 4}, {{full[1].task_fitness[0] + 1e-9}}};
  const auto staged = ev.evaluate(batch, &plan);
  EXPECT_FALSE(staged[0].stopped_by_hurdle);
  EXPECT_EQ(staged[0].fitness, full[0].fitness) << "a child that passes gets its full fitness";
  EXPECT_TRUE(staged[1].stopped_by_hurdle);
  EXPECT_EQ(staged[1].fitness, full[1].task_fitness[0]) << "a stopped child keeps its stage fitness";
  EXPECT_EQ(staged[1].task_fitness[2], 0.0);
  EXPECT_EQ(staged[1].steps_avoided, 3u * 30u);
  EXPECT_LT(staged[1].train_steps, full[1].train_steps);
  EXPECT_EQ(ev.steps_avoided(), 90u);
}

TEST(Hurdles, ASearchWithHurdlesSpendsFewerStepsPerIndividual) {
  SearchOptions o = island_search(1, 0, 50, 10);
  o.evolution.max_train_steps = 400'000;
  const TaskSet t = make_task_set(test::regression_spec(TaskType::Linear, 4, 10, 20, 10));
  auto steps_per_individual = [&](bool hurdles) {
    o.hurdles.enabled = hurdles;
    auto cpu = make_cpu_evaluator({1, Precision::Float32, CpuInterpreter::Reference});
    CandidateEvaluator ev(*cpu, t, CandidateEvalOptions{});
    SearchRng rng(9);
    const SearchResult r = run_search(o, ev, rng);
    if (hurdles) {
      EXPECT_GT(r.steps_avoided, 0u);
    }
    return static_cast<double>(r.train_steps) / static_cast<double>(r.individuals);
  };
  EXPECT_LT(steps_per_individual(true), 0.8 * steps_per_individual(false));
}

}  // namespace
}  // namespace amlz
