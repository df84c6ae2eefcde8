// SPDX-License-Identifier: Apache-2.0
// Checkpoints of a search (amlz/search/checkpoint.h): the FEC cache and populations come back exactly, and a search
// resumed from any state it saved — between batches, at a stop request, with one island or several, hurdles and
// FEC on — ends exactly where the uninterrupted search ends, generators included.
#include "amlz/search/checkpoint.h"

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <limits>
#include <map>
#include <memory>
#include <mutex>
#include <thread>
#include <tuple>

#include <gtest/gtest.h>

#include "amlz/error.h"
#include "amlz/eval/cpu_evaluator.h"
#include "amlz/search/search.h"
#include "search/thread_group.h"
#include "test_util.h"

namespace amlz {
namespace {

using test::ThreadGroup;
using test::ThreadWorld;

SearchOptions options(int islands) {
  const std::vector<Op> ops = {Op::ScalarConstSet, Op::VectorInnerProduct,  Op::ScalarDiff,
                               Op::ScalarProduct,  Op::ScalarVectorProduct, Op::VectorSum};
  SearchOptions o;
  o.evolution.population_size = 12;
  o.evolution.tournament_size = 4;
  o.evolution.batch_size = 4;
  o.evolution.max_train_steps = 40'000;
  o.evolution.progress_every = 1;
  o.evolution.mutations = {MutationType::AlterParam, MutationType::RandomizeInstruction,
                           MutationType::RandomizeComponent};
  o.algorithm.initial = InitialAlgorithm::Random;
  o.algorithm.init_sizes = {4, 2, 4};
  o.algorithm.ops = {ops, ops, ops};
  o.memory = {4, 3, 1};
  o.islands.count = islands;
  o.islands.migrate_every = 8;
  o.hurdles.enabled = true;
  o.hurdles.min_samples = 3;
  return o;
}

TaskSet tasks() { return make_task_set(test::regression_spec(TaskType::Linear, 4, 5, 20, 10)); }

// Every state the search offers, in order.
class Recorder final : public CheckpointSink {
 public:
  bool due(CheckpointMoment) override { return true; }
  void save(std::string state, CheckpointMoment moment) override { states.emplace_back(moment, std::move(state)); }
  std::vector<std::pair<CheckpointMoment, std::string>> states;
};

// The populations after the last batch, and a stop request after `stop_after` batches (0: none).
class Watcher final : public SearchObserver {
 public:
  explicit Watcher(int stop_after) : stop_after_(stop_after) {}
  void on_batch(const SearchProgress&, const SearchState& state) override {
    for (size_t i = 0; i < state.islands.size(); ++i) islands[state.island_ids[i]] = state.islands[i]->slots();
    if (++batches_ == stop_after_) stop.store(true);
  }
  std::map<uint32_t, std::vector<Individual>> islands;
  std::atomic<bool> stop{false};

 private:
  int stop_after_;
  int batches_ = 0;
};

struct Outcome {
  SearchResult result;
  std::map<uint32_t, std::vector<Individual>> islands;
  uint64_t rng_state = 0, fec_hits = 0, fec_lookups = 0;
  std::vector<std::pair<CheckpointMoment, std::string>> states;
  std::string error;
};

Outcome search(SearchOptions o, const std::string* resume = nullptr, int stop_after = 0) {
  const TaskSet t = tasks();
  auto cpu = make_cpu_evaluator({1, Precision::Float32, CpuInterpreter::Reference});
  CandidateEvalOptions eo;
  eo.fec = FecConfig{true, 5, 5, 40, 3};  // small, so evictions and forgetting happen
  CandidateEvaluator ev(*cpu, t, eo, static_cast<size_t>(o.islands.count));
  SearchRng rng(77);  // the run generator as the search began, resumed or not
  Recorder recorder;
  Watcher watcher(stop_after);
  o.checkpoints = &recorder;
  o.resume = resume;
  o.stop = &watcher.stop;
  Outcome out;
  out.result = run_search(o, ev, rng, &watcher);
  out.islands = watcher.islands;
  out.rng_state = rng.state();
  out.fec_hits = ev.fec_hits();
  out.fec_lookups = ev.fec_lookups();
  out.states = std::move(recorder.states);
  return out;
}

// A search's state without its one clock reading (elapsed seconds, after the fixed fields before it).
std::string without_clock(std::string state, int islands) {
  const size_t at = 4 + 4 + 8 + 1 + (islands > 1 ? 16 : 0) + 8 + 8 + 8 + 1;
  EXPECT_GE(state.size(), at + 8);
  state.replace(at, 8, 8, '\0');
  return state;
}

void expect_same(const Outcome& a, const Outcome& b, const std::string& what) {
  SCOPED_TRACE(what);
  // The state at the end holds everything: populations, generators, FEC caches, counters.
  ASSERT_FALSE(a.states.empty());
  ASSERT_FALSE(b.states.empty());
  EXPECT_EQ(a.states.back().first, b.states.back().first);
  const int k = static_cast<int>(a.result.island_bests.size());
  EXPECT_TRUE(without_clock(a.states.back().second, k) == without_clock(b.states.back().second, k));
  EXPECT_EQ(a.result.best.algorithm, b.result.best.algorithm);
  EXPECT_EQ(a.result.best.fitness, b.result.best.fitness);
  ASSERT_EQ(a.result.island_bests.size(), b.result.island_bests.size());
  for (size_t i = 0; i < a.result.island_bests.size(); ++i)
    EXPECT_EQ(a.result.island_bests[i].algorithm, b.result.island_bests[i].algorithm) << "island " << i;
  EXPECT_EQ(a.result.individuals, b.result.individuals);
  EXPECT_EQ(a.result.train_steps, b.result.train_steps);
  EXPECT_EQ(a.result.steps_avoided, b.result.steps_avoided);
  EXPECT_EQ(a.rng_state, b.rng_state);
  EXPECT_EQ(a.fec_hits, b.fec_hits);
  EXPECT_EQ(a.fec_lookups, b.fec_lookups);
  if (b.islands.empty()) return;  // resumed at the end: no batch was placed
  ASSERT_EQ(a.islands.size(), b.islands.size());
  for (const auto& [id, slots] : a.islands) {
    const auto& other = b.islands.at(id);
    ASSERT_EQ(slots.size(), other.size()) << "island " << id;
    for (size_t j = 0; j < slots.size(); ++j) {
      EXPECT_EQ(slots[j].algorithm, other[j].algorithm) << "island " << id << " slot " << j;
      EXPECT_EQ(slots[j].fitness, other[j].fitness) << "island " << id << " slot " << j;
      EXPECT_EQ(slots[j].id, other[j].id) << "island " << id << " slot " << j;
    }
  }
}

// (islands, overlap): with overlap the next batch is made while the previous one is evaluated, and states are
// offered at generation ends and at a stop (then with an evaluated batch not yet placed).
class ResumeTest : public ::testing::TestWithParam<std::tuple<int, bool>> {
 protected:
  static SearchOptions options_of_param() {
    SearchOptions o = options(std::get<0>(GetParam()));
    o.overlap = std::get<1>(GetParam());
    return o;
  }
};

TEST_P(ResumeTest, FromAnySavedStateTheSearchEndsAsTheUninterruptedOne) {
  const SearchOptions o = options_of_param();
  const Outcome full = search(o);
  ASSERT_GE(full.states.size(), 5u);
  EXPECT_EQ(full.states.back().first, CheckpointMoment::SearchEnd);
  EXPECT_GT(full.result.steps_avoided, 0u) << "the hurdles stopped nobody: the test would not cover them";
  EXPECT_GT(full.fec_hits, 0u);
  const size_t n = full.states.size();
  // The start of the initial population, inside it, generation boundaries and mid-generation batches, the end.
  for (size_t i : {size_t{0}, size_t{1}, n / 3, n / 2, 2 * n / 3, n - 2, n - 1}) {
    const Outcome resumed = search(o, &full.states[i].second);
    expect_same(full, resumed, "resumed from state " + std::to_string(i) + " of " + std::to_string(n));
  }
}

TEST_P(ResumeTest, AStopRequestSavesAStateThatResumesToTheSameEnd) {
  const SearchOptions o = options_of_param();
  const Outcome full = search(o);
  for (int stop_after : {2, 7, 23}) {
    const Outcome stopped = search(o, nullptr, stop_after);
    ASSERT_EQ(stopped.result.stop, StopReason::Interrupted);
    ASSERT_FALSE(stopped.states.empty());
    ASSERT_EQ(stopped.states.back().first, CheckpointMoment::Stop);
    const Outcome resumed = search(o, &stopped.states.back().second);
    expect_same(full, resumed, "stopped after " + std::to_string(stop_after) + " batches");
  }
}

INSTANTIATE_TEST_SUITE_P(IslandsAndOverlap, ResumeTest, ::testing::Combine(::testing::Values(1, 3), ::testing::Bool()));

TEST(Checkpoint, AStateOfAnotherShapeIsRefused) {
  const Outcome three = search(options(3));
  SearchOptions two = options(2);
  EXPECT_THROW(search(two, &three.states[3].second), Error);
  SearchOptions bigger = options(3);
  bigger.evolution.population_size = 13;
  EXPECT_THROW(search(bigger, &three.states[3].second), Error);
  std::string cut = three.states[3].second;
  cut.resize(cut.size() / 2);
  EXPECT_THROW(search(options(3), &cut), Error);
}

TEST(Checkpoint, AnFecCacheComesBackAnsweringAsTheSavedOne) {
  FecCache a(50, 3);
  SearchRng rng(5);
  auto step = [&rng](FecCache& c, uint32_t draw, uint32_t key) {
    if (draw % 3 == 0) {
      c.insert(key, key * 0.5);
      return std::optional<double>();
    }
    return c.lookup(key);
  };
  for (int i = 0; i < 500; ++i) step(a, rng.next_u32(), rng.uniform_below(90));
  WireWriter w;
  write_fec_cache(w, &a);
  FecCache b(50, 3);
  WireReader r(w.bytes(), "test");
  read_fec_cache(r, &b);
  EXPECT_TRUE(r.done());
  EXPECT_EQ(b.size(), a.size());
  EXPECT_EQ(b.hits(), a.hits());
  EXPECT_EQ(b.misses(), a.misses());
  for (int i = 0; i < 2000; ++i) {
    const uint32_t draw = rng.next_u32(), key = rng.uniform_below(90);
    ASSERT_EQ(step(a, draw, key), step(b, draw, key)) << "operation " << i;
  }
  const auto ea = a.saved_entries(), eb = b.saved_entries();
  ASSERT_EQ(ea.size(), eb.size());
  for (size_t i = 0; i < ea.size(); ++i) {
    EXPECT_EQ(ea[i].key, eb[i].key);
    EXPECT_EQ(ea[i].hits, eb[i].hits);
  }
  // A cache saved where the run has none, and the reverse, are refused.
  WireReader r2(w.bytes(), "test");
  EXPECT_THROW(read_fec_cache(r2, nullptr), Error);
}

TEST(Checkpoint, APopulationComesBackSlotForSlot) {
  Population p(3);
  for (uint64_t i = 0; i < 5; ++i) {
    Algorithm a;
    a.predict.push_back(Instruction{});
    p.add(Individual{a, 0.25 * static_cast<double>(i), i, {0.1 * static_cast<double>(i)}});
  }
  WireWriter w;
  write_population(w, p);
  WireReader r(w.bytes(), "test");
  const Population q = read_population(r, 3);
  EXPECT_TRUE(r.done());
  ASSERT_EQ(q.slots().size(), 3u);
  EXPECT_EQ(q.next_slot(), p.next_slot());
  for (size_t i = 0; i < 3; ++i) {
    EXPECT_EQ(q.slots()[i].fitness, p.slots()[i].fitness);
    EXPECT_EQ(q.slots()[i].id, p.slots()[i].id);
    EXPECT_EQ(q.slots()[i].stage_fitness, p.slots()[i].stage_fitness);
  }
  WireReader small(w.bytes(), "test");
  EXPECT_THROW(read_population(small, 2), Error);  // more individuals than the capacity
}

TEST(Checkpoint, TheRunStateRoundTripsAndTruncationIsRefused) {
  RunCheckpoint c;
  c.experiment = 3;
  c.rng_state = 0x1234567890abcdefull;
  c.rng_stream = 99;
  c.seconds = 12.5;
  c.individuals = 4000;
  c.train_steps = 123456;
  c.steps_avoided = 77;
  c.fec_hits = 5;
  c.fec_lookups = 9;
  c.have_best = true;
  c.best.setup.push_back(Instruction{});
  c.best_search_fitness = 0.75;
  c.best_select_fitness = 0.5;
  c.search = std::string("\0state\xff", 7);
  const std::string bytes = encode_run_checkpoint(c);
  const RunCheckpoint d = decode_run_checkpoint(bytes);
  EXPECT_EQ(d.experiment, c.experiment);
  EXPECT_EQ(d.rng_state, c.rng_state);
  EXPECT_EQ(d.rng_stream, c.rng_stream);
  EXPECT_EQ(d.seconds, c.seconds);
  EXPECT_EQ(d.individuals, c.individuals);
  EXPECT_EQ(d.train_steps, c.train_steps);
  EXPECT_EQ(d.steps_avoided, c.steps_avoided);
  EXPECT_EQ(d.fec_hits, c.fec_hits);
  EXPECT_EQ(d.fec_lookups, c.fec_lookups);
  EXPECT_TRUE(d.have_best);
  EXPECT_EQ(d.best, c.best);
  EXPECT_EQ(d.best_search_fitness, c.best_search_fitness);
  EXPECT_EQ(d.best_select_fitness, c.best_select_fitness);
  EXPECT_EQ(d.search, c.search);
  EXPECT_THROW(decode_run_checkpoint(std::string_view(bytes).substr(0, bytes.size() - 1)), Error);
  EXPECT_THROW(decode_run_checkpoint(bytes + "x"), Error);
}

// The search on `ranks` threads; rank 0's outcome (the only one given the states).
Outcome search_on_threads(const SearchOptions& o, int ranks, const std::string* resume = nullptr) {
  ThreadWorld world(ranks);
  std::vector<Outcome> outcomes(static_cast<size_t>(ranks));
  std::vector<std::thread> threads;
  for (int r = 0; r < ranks; ++r)
    threads.emplace_back([&, r] {
      ThreadGroup group(world, r);
      SearchOptions mine = o;
      mine.group = &group;
      const TaskSet t = tasks();
      auto cpu = make_cpu_evaluator({1, Precision::Float32, CpuInterpreter::Reference});
      CandidateEvalOptions eo;
      eo.fec = FecConfig{true, 5, 5, 40, 3};
      const size_t local = group.local_islands(static_cast<uint32_t>(o.islands.count)).size();
      CandidateEvaluator ev(*cpu, t, eo, local);
      SearchRng rng(77);
      Recorder recorder;
      mine.checkpoints = r == 0 ? &recorder : nullptr;  // the other ranks need no sink
      mine.resume = resume;
      Outcome& out = outcomes[static_cast<size_t>(r)];
      try {
        out.result = run_search(mine, ev, rng);
      } catch (const Error& e) {
        out.error = e.what();
      }
      out.rng_state = rng.state();
      out.states = std::move(recorder.states);
    });
  for (std::thread& th : threads) th.join();
  return outcomes[0];
}

TEST(Checkpoint, IslandsOnSeveralProcessesSaveAndResumeTogether) {
  const SearchOptions o = options(3);
  const Outcome full = search_on_threads(o, 2);
  ASSERT_TRUE(full.error.empty()) << full.error;
  ASSERT_GE(full.states.size(), 10u);
  // The same islands in one process reach the same result (the states differ: each process saves its counters).
  const Outcome one = search(o);
  EXPECT_EQ(full.result.best.algorithm, one.result.best.algorithm);
  EXPECT_EQ(full.result.train_steps, one.result.train_steps);
  for (size_t i : {size_t{1}, full.states.size() / 2, full.states.size() - 2}) {
    SCOPED_TRACE("resumed from state " + std::to_string(i));
    const Outcome resumed = search_on_threads(o, 2, &full.states[i].second);
    ASSERT_TRUE(resumed.error.empty()) << resumed.error;
    EXPECT_EQ(resumed.result.best.algorithm, full.result.best.algorithm);
    EXPECT_EQ(resumed.result.train_steps, full.result.train_steps);
    EXPECT_TRUE(without_clock(resumed.states.back().second, 3) == without_clock(full.states.back().second, 3));
  }
  // A state saved by two processes is not resumed by one.
  EXPECT_THROW(search(o, &full.states[3].second), Error);
}

}  // namespace
}  // namespace amlz
