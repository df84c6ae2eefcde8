// SPDX-License-Identifier: Apache-2.0
// MpiGroup under mpirun (tests/CMakeLists.txt runs this binary with 2 and 3 ranks): the collectives, migrants
// arriving where they are addressed, island bests gathered at rank 0, and the proof that matters: K islands spread
// over the ranks reach exactly what K islands reach in one process. Every rank runs every test in the same order
// (the collectives need all of them); a failure on any rank fails the job.
#include "dist/mpi_group.h"

#include <algorithm>
#include <atomic>
#include <cstdio>
#include <functional>
#include <map>
#include <memory>
#include <string>

#include <gtest/gtest.h>
#include <mpi.h>

#include "amlz/eval/cpu_evaluator.h"
#include "amlz/search/search.h"
#include "search/island_search.h"
#include "test_util.h"

namespace amlz::dist {
namespace {

MpiGroup* world = nullptr;  // made in main, before any test

std::string payload(uint32_t from, uint32_t to, uint64_t round) {
  std::string p = "island " + std::to_string(from) + " to " + std::to_string(to) + " round " + std::to_string(round);
  // One large payload per round: more than one eager message's worth crosses the ranks too.
  if (from == 0) p += std::string(300'000 + round, static_cast<char>('a' + round % 26));
  return p;
}

TEST(MpiGroup, AgreeReduceAndBroadcast) {
  const int r = world->rank(), n = world->ranks();
  ASSERT_GE(n, 2) << "run under mpirun with 2 or more ranks";
  const SearchGroup::Agreement a = world->agree(static_cast<uint64_t>(10 + r), r == n - 1 ? 2 : (r == 0 ? 1 : 0));
  EXPECT_EQ(a.steps, static_cast<uint64_t>(10 * n + n * (n - 1) / 2));
  EXPECT_EQ(a.stop, 2) << "the strongest wish wins";
  EXPECT_EQ(world->agree(5, 0).stop, 0);
  std::vector<double> sums = {1.0, static_cast<double>(r)}, maxima = {static_cast<double>(r), -static_cast<double>(r)};
  world->reduce(sums, maxima);
  EXPECT_EQ(sums, (std::vector<double>{static_cast<double>(n), n * (n - 1) / 2.0}));
  EXPECT_EQ(maxima, (std::vector<double>{n - 1.0, 0.0}));
  EXPECT_TRUE(world->broadcast(r == 0));
  EXPECT_FALSE(world->broadcast(r != 0));
  EXPECT_EQ(world->broadcast_number(r == 0 ? (1ull << 40) + 7 : 3), (1ull << 40) + 7);
}

TEST(MpiGroup, MigrantsArriveAtTheIslandsTheyAreAddressedTo) {
  const uint32_t n = static_cast<uint32_t>(world->ranks());
  for (uint32_t k : {n, 2 * n + 1}) {  // one island per rank; uneven shares
    const std::vector<uint32_t> mine = world->local_islands(k);
    for (uint64_t round = 1; round <= 4; ++round) {
      const uint32_t shift = static_cast<uint32_t>(round % (k - 1)) + 1;  // 1..k-1, as the search draws it
      std::vector<std::pair<uint32_t, std::string>> out;
      for (uint32_t i : mine) out.emplace_back((i + shift) % k, payload(i, (i + shift) % k, round));
      const auto in = world->exchange(round, out);
      // Exactly one payload for each local island, in island order, from the island `shift` before it.
      ASSERT_EQ(in.size(), mine.size()) << "k " << k << " round " << round;
      for (size_t j = 0; j < mine.size(); ++j) {
        EXPECT_EQ(in[j].first, mine[j]);
        EXPECT_EQ(in[j].second, payload((mine[j] + k - shift) % k, mine[j], round)) << "island " << mine[j];
      }
    }
  }
}

TEST(MpiGroup, RankZeroGathersEveryIslandInOrder) {
  const uint32_t k = 2 * static_cast<uint32_t>(world->ranks()) + 1;
  std::vector<std::pair<uint32_t, std::string>> local;
  for (uint32_t i : world->local_islands(k)) local.emplace_back(i, "best of " + std::to_string(i));
  const auto all = world->gather(local);
  if (world->rank() != 0) {
    EXPECT_TRUE(all.empty());
    return;
  }
  ASSERT_EQ(all.size(), k);
  for (uint32_t i = 0; i < k; ++i) EXPECT_EQ(all[i], std::make_pair(i, "best of " + std::to_string(i)));
}

// The islands search of islands_test, small enough for a 2-core CI machine running 3 ranks; migration every
// generation.
SearchOptions island_search(int islands) {
  SearchOptions o = test::island_search(islands, 20);
  o.islands.migrants = 7;
  return o;
}

// The final populations of this process's islands (by global id) and the search's result.
struct IslandRun {
  SearchResult result;
  std::map<uint32_t, std::vector<Individual>> islands;
};

// `after_batch` is called after every batch this process places.
IslandRun run_islands(const SearchOptions& o, SearchGroup* group, std::function<void()> after_batch = {}) {
  class Snapshot final : public SearchObserver {
   public:
    Snapshot(IslandRun& r, std::function<void()> f) : run_(r), after_batch_(std::move(f)) {}
    void on_batch(const SearchProgress&, const SearchState& state) override {
      for (size_t i = 0; i < state.islands.size(); ++i) run_.islands[state.island_ids[i]] = state.islands[i]->slots();
      if (after_batch_) after_batch_();
    }

   private:
    IslandRun& run_;
    std::function<void()> after_batch_;
  };
  SearchOptions mine = o;
  mine.group = group;
  const TaskSet tasks = make_task_set(test::regression_spec(TaskType::Linear, 4, 3, 20, 10));
  auto cpu = make_cpu_evaluator({1, Precision::Float32, CpuInterpreter::Reference});
  const size_t local = group ? group->local_islands(static_cast<uint32_t>(o.islands.count)).size()
                             : static_cast<size_t>(o.islands.count);
  CandidateEvalOptions eo;
  eo.fec = FecConfig{true, 5, 5, 10000, 100};
  CandidateEvaluator ev(*cpu, tasks, eo, local);
  SearchRng rng(17);
  IslandRun r;
  Snapshot snap(r, std::move(after_batch));
  r.result = run_search(mine, ev, rng, &snap);
  return r;
}

TEST(MpiGroup, IslandsOverRanksReachWhatOneProcessReaches) {
  for (int k : {world->ranks(), world->ranks() + 1, 4}) {
    SCOPED_TRACE("islands " + std::to_string(k));
    const SearchOptions o = island_search(k);
    const IslandRun spread = run_islands(o, world);
    const IslandRun alone = run_islands(o, nullptr);  // every rank runs the whole search on its own, as the reference
    const std::vector<uint32_t> mine = world->local_islands(static_cast<uint32_t>(k));
    ASSERT_EQ(spread.islands.size(), mine.size());
    for (uint32_t id : mine) {
      const std::vector<Individual>& a = spread.islands.at(id);
      const std::vector<Individual>& b = alone.islands.at(id);
      ASSERT_EQ(a.size(), b.size()) << "island " << id;
      for (size_t s = 0; s < a.size(); ++s) {
        EXPECT_EQ(a[s].algorithm, b[s].algorithm) << "island " << id << " slot " << s;
        EXPECT_EQ(a[s].fitness, b[s].fitness) << "island " << id << " slot " << s;
        EXPECT_EQ(a[s].id, b[s].id) << "island " << id << " slot " << s;
      }
    }
    EXPECT_EQ(spread.result.individuals, alone.result.individuals);
    EXPECT_EQ(spread.result.train_steps, alone.result.train_steps) << "agreed over all ranks";
    if (world->rank() == 0) {
      ASSERT_EQ(spread.result.island_bests.size(), static_cast<size_t>(k));
      for (size_t i = 0; i < spread.result.island_bests.size(); ++i)
        EXPECT_EQ(spread.result.island_bests[i].algorithm, alone.result.island_bests[i].algorithm) << "island " << i;
      EXPECT_EQ(spread.result.best.algorithm, alone.result.best.algorithm);
      EXPECT_EQ(spread.result.best.fitness, alone.result.best.fitness);
    } else {
      EXPECT_TRUE(spread.result.island_bests.empty()) << "only rank 0 holds the bests";
    }
  }
}

TEST(MpiGroup, AStopOnOneRankStopsEveryRankAtTheSameBatch) {
  // Rank 1 is asked to stop (as its signal handler would) after its third batch: every rank ends at the next
  // agreement, so all have made the same number of individuals, fewer than the whole search, and all report an
  // interruption.
  std::atomic<bool> stop{false};
  int batches = 0;
  SearchOptions o = island_search(world->ranks());
  o.stop = &stop;
  const IslandRun r = run_islands(o, world, [&] {
    if (world->rank() == 1 && ++batches == 3) stop = true;
  });
  EXPECT_EQ(r.result.stop, StopReason::Interrupted);
  EXPECT_GE(r.result.individuals, 3 * 5 * world->ranks()) << "at least three batches of 5 per island";
  EXPECT_LT(r.result.individuals, run_islands(island_search(world->ranks()), world).result.individuals);
  std::vector<double> none,
      individuals = {static_cast<double>(r.result.individuals), -static_cast<double>(r.result.individuals)};
  world->reduce(none, individuals);
  EXPECT_EQ(individuals[0], -individuals[1]) << "every rank stopped after the same batch";
}

}  // namespace
}  // namespace amlz::dist

// MPI before the tests, and one verdict for the job: a test that failed on any rank fails every rank.
int main(int argc, char** argv) {
  testing::InitGoogleTest(&argc, argv);
  auto group = std::make_unique<amlz::dist::MpiGroup>();
  amlz::dist::world = group.get();
  // Only rank 0 prints the test log; the others print their failures, naming their rank.
  if (group->rank() != 0) {
    class Failures final : public testing::EmptyTestEventListener {
     public:
      explicit Failures(int rank) : rank_(rank) {}
      void OnTestPartResult(const testing::TestPartResult& r) override {
        if (r.failed())
          std::fprintf(stderr, "[rank %d] %s:%d: failure\n%s\n", rank_, r.file_name() ? r.file_name() : "?",
                       r.line_number(), r.summary());
      }

     private:
      int rank_;
    };
    auto& listeners = testing::UnitTest::GetInstance()->listeners();
    delete listeners.Release(listeners.default_result_printer());
    listeners.Append(new Failures(group->rank()));
  }
  const int failed = RUN_ALL_TESTS() != 0 ? 1 : 0;
  const uint64_t failures = group->agree(static_cast<uint64_t>(failed), 0).steps;
  if (group->rank() == 0 && failures > 0)
    std::fprintf(stderr, "%llu rank(s) failed\n", static_cast<unsigned long long>(failures));
  return failures > 0 ? 1 : 0;
}
