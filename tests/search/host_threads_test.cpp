// SPDX-License-Identifier: Apache-2.0
// The host side of a search on several threads (issue 11): prepare() and the FEC keys are spread over host threads
// in chunks of candidates, and nothing a search computes may depend on how many there are. Also: preparing and
// evaluating a batch into reused buffers allocates nothing per candidate (counted by replacing operator new).
#include <atomic>
#include <cstdlib>
#include <cstring>
#include <map>
#include <new>

#include <gtest/gtest.h>

#include "amlz/core/hardcoded_algorithms.h"
#include "amlz/eval/cpu_evaluator.h"
#include "amlz/search/search.h"
#include "test_util.h"

// Every allocation of this test binary is counted (the counter is only read around the code under test).
namespace {
std::atomic<uint64_t> g_allocations{0};
}  // namespace

void* operator new(std::size_t size) {
  g_allocations.fetch_add(1, std::memory_order_relaxed);
  if (void* p = std::malloc(size == 0 ? 1 : size)) return p;
  throw std::bad_alloc();
}
void* operator new[](std::size_t size) { return operator new(size); }
void operator delete(void* p) noexcept { std::free(p); }
void operator delete[](void* p) noexcept { std::free(p); }
void operator delete(void* p, std::size_t) noexcept { std::free(p); }
void operator delete[](void* p, std::size_t) noexcept { std::free(p); }

namespace amlz {
namespace {

using test::demo_ops;

// Three islands, FEC, hurdles (a stage of 2 tasks, then 4), batches of 12 children per island: 36 candidates in
// chunks of 2, so every batch is cut into many chunks.
SearchOptions search_options(bool overlap) {
  SearchOptions o;
  o.evolution.population_size = 24;
  o.evolution.tournament_size = 4;
  o.evolution.batch_size = 12;
  o.evolution.max_train_steps = 300'000;
  o.evolution.progress_every = 1;
  o.algorithm.initial = InitialAlgorithm::Random;
  o.algorithm.init_sizes = {4, 3, 4};
  o.evolution.mutations = {MutationType::AlterParam, MutationType::RandomizeInstruction,
                           MutationType::RandomizeComponent};
  o.algorithm.ops = demo_ops();
  o.memory = {4, 3, 1};
  o.islands.count = 3;
  o.islands.migrate_every = 48;
  o.hurdles.enabled = true;
  o.hurdles.stage_tasks = {2};
  o.hurdles.min_samples = 4;
  o.overlap = overlap;
  return o;
}

CandidateEvalOptions eval_options(int host_threads, size_t chunk = 2) {
  CandidateEvalOptions o;
  o.fec = FecConfig{true, 5, 5, 10000, 3};  // entries forgotten after 3 hits: the cache's order matters
  o.host_threads = host_threads;
  o.host_chunk = chunk;
  return o;
}

struct HostRun {
  SearchResult result;
  std::map<uint32_t, std::vector<Individual>> islands;
  uint64_t fec_hits = 0, fec_lookups = 0;
};

class Snapshot final : public SearchObserver {
 public:
  void on_batch(const SearchProgress&, const SearchState& state) override {
    for (size_t i = 0; i < state.islands.size(); ++i) islands[state.island_ids[i]] = state.islands[i]->slots();
  }
  std::map<uint32_t, std::vector<Individual>> islands;
};

HostRun run(int host_threads, bool overlap) {
  const SearchOptions o = search_options(overlap);
  const TaskSet t = make_task_set(test::regression_spec(TaskType::Linear, 4, 6, 20, 10));
  auto cpu = make_cpu_evaluator({1, Precision::Float32, CpuInterpreter::Vector});
  CandidateEvaluator ev(*cpu, t, eval_options(host_threads), 3);
  EXPECT_EQ(ev.host_threads(), host_threads);
  SearchRng rng(11);
  Snapshot snap;
  HostRun r;
  r.result = run_search(o, ev, rng, &snap);
  r.islands = snap.islands;
  r.fec_hits = ev.fec_hits();
  r.fec_lookups = ev.fec_lookups();
  return r;
}

void expect_same(const HostRun& a, const HostRun& b, int threads) {
  SCOPED_TRACE(std::to_string(threads) + " host threads against 1");
  EXPECT_EQ(a.result.individuals, b.result.individuals);
  EXPECT_EQ(a.result.train_steps, b.result.train_steps);
  EXPECT_EQ(a.result.steps_avoided, b.result.steps_avoided);
  EXPECT_EQ(a.fec_hits, b.fec_hits);
  EXPECT_EQ(a.fec_lookups, b.fec_lookups);
  ASSERT_EQ(a.islands.size(), b.islands.size());
  for (const auto& [id, slots] : a.islands) {
    const std::vector<Individual>& other = b.islands.at(id);
    ASSERT_EQ(slots.size(), other.size());
    for (size_t k = 0; k < slots.size(); ++k) {
      EXPECT_EQ(slots[k].algorithm, other[k].algorithm) << "island " << id << " slot " << k;
      EXPECT_EQ(slots[k].fitness, other[k].fitness) << "island " << id << " slot " << k;
      EXPECT_EQ(slots[k].stage_fitness, other[k].stage_fitness) << "island " << id << " slot " << k;
    }
  }
  EXPECT_EQ(a.result.best.algorithm, b.result.best.algorithm);
  EXPECT_EQ(a.result.best.fitness, b.result.best.fitness);
}

TEST(HostThreads, ASearchGivesTheSameResultWithOneTwoAndThreeHostThreads) {
  for (bool overlap : {false, true}) {
    SCOPED_TRACE(overlap ? "overlapped" : "not overlapped");
    const HostRun one = run(1, overlap);
    EXPECT_GT(one.fec_hits, 0u) << "the run must exercise the cache";
    EXPECT_GT(one.result.steps_avoided, 0u) << "the run must exercise the hurdles";
    expect_same(run(2, overlap), one, 2);
    expect_same(run(3, overlap), one, 3);
  }
}

// Five behaviours (linear regression at five learning rates), repeated and interleaved in a batch of 40 whose
// first occurrences come in the order 3, 1, 4, 0, 2; prepared in chunks of one candidate on three threads. In
// candidate order, each behaviour's first occurrence is evaluated in full and the later ones are cache hits; the
// cache, holding two behaviours' entries, keeps the last two first-inserted (0 and 2). A pass that looked up or
// inserted in the order the chunks finished would give other candidates the full evaluations, or keep other
// behaviours.
TEST(HostThreads, ChunksDoNotReorderCacheLookupsOrInserts) {
  const TaskSet t = make_task_set(test::regression_spec(TaskType::Linear, 4, 3, 20, 10));
  const size_t nt = t.size();
  std::vector<Algorithm> behaviours;
  for (float rate : {0.01f, 0.02f, 0.03f, 0.04f, 0.05f}) behaviours.push_back(linear_algorithm(rate));
  const size_t order[] = {3, 1, 3, 4, 1, 0, 4, 3, 2, 0};
  std::vector<const Algorithm*> batch;
  std::vector<uint32_t> seeds;
  for (size_t i = 0; i < 40; ++i) {
    batch.push_back(&behaviours[order[i % 10]]);
    seeds.push_back(static_cast<uint32_t>(i + 1));
  }
  auto cpu = make_cpu_evaluator({1, Precision::Float32, CpuInterpreter::Vector});
  for (int threads : {1, 3}) {
    SCOPED_TRACE(std::to_string(threads) + " host threads");
    CandidateEvalOptions o = eval_options(threads, 1);
    o.fec.cache_size = static_cast<int>(2 * nt);
    o.fec.forget_every = 0;
    CandidateEvaluator ev(*cpu, t, o);
    const std::vector<CandidateResult> r = ev.evaluate(batch, seeds);
    bool seen[5] = {};
    for (size_t i = 0; i < batch.size(); ++i) {
      const size_t b = order[i % 10];
      EXPECT_EQ(r[i].fec_hits, seen[b] ? nt : 0u) << "candidate " << i;
      seen[b] = true;
    }
    // Which behaviours the cache kept: those kept are hits (and stay); then the others, each a miss.
    for (size_t b : {0, 2, 4, 1, 3}) {
      const bool kept = b == 0 || b == 2;
      EXPECT_EQ(ev.evaluate({&behaviours[b]}, {99}).front().fec_hits, kept ? nt : 0u) << "behaviour " << b;
    }
  }
}

std::vector<Algorithm> children(size_t n) {
  const SearchOptions o = search_options(false);
  SearchRng rng(5);
  std::vector<Algorithm> out;
  for (size_t i = 0; i < n; ++i)
    out.push_back(make_algorithm(InitialAlgorithm::Random, o.algorithm.init_sizes, o.algorithm.ops, o.memory, rng));
  return out;
}

TEST(HostThreads, PreparingIntoReusedBuffersAllocatesNothing) {
  const TaskSet t = make_task_set(test::regression_spec(TaskType::Linear, 4, 6, 20, 10));
  auto cpu = make_cpu_evaluator({1, Precision::Float32, CpuInterpreter::Vector});
  const std::vector<Algorithm> algorithms = children(200);
  std::vector<const Algorithm*> ptrs;
  std::vector<uint32_t> seeds, groups(algorithms.size(), 0);
  for (const Algorithm& a : algorithms) ptrs.push_back(&a), seeds.push_back(static_cast<uint32_t>(seeds.size()));
  for (int threads : {1, 3}) {
    SCOPED_TRACE(std::to_string(threads) + " host threads");
    CandidateEvaluator ev(*cpu, t, eval_options(threads, 16));
    PreparedBatch batch;
    ev.prepare(ptrs, seeds, groups, batch);  // the buffers grow to the batch
    const PreparedBatch fresh = ev.prepare(ptrs, seeds, groups);
    const uint64_t before = g_allocations.load();
    ev.prepare(ptrs, seeds, groups, batch);
    EXPECT_EQ(g_allocations.load() - before, 0u);
    ASSERT_EQ(batch.programs.code.size(), fresh.programs.code.size());
    EXPECT_EQ(
        std::memcmp(batch.programs.code.data(), fresh.programs.code.data(), batch.programs.code.size() * sizeof(Instr)),
        0);
    EXPECT_EQ(batch.full_steps, fresh.full_steps);
    ASSERT_EQ(batch.size(), fresh.size());
    for (size_t i = 0; i < batch.size(); ++i)
      EXPECT_EQ(std::memcmp(&batch.programs.programs[i], &fresh.programs.programs[i], sizeof(ProgramDesc)), 0);
  }
}

// The FEC pass and the full evaluation of a batch into reused results: the allocations per batch (the evaluator's
// result arrays) do not grow with the number of candidates. With FEC and no forgetting, the batch is all cache hits
// after the first time; without FEC, all full evaluations.
TEST(HostThreads, EvaluatingIntoReusedResultsAllocatesNothingPerCandidate) {
  const TaskSet t = make_task_set(test::regression_spec(TaskType::Linear, 4, 6, 20, 10));
  auto cpu = make_cpu_evaluator({1, Precision::Float32, CpuInterpreter::Vector});
  const std::vector<Algorithm> algorithms = children(400);
  auto allocations = [&](size_t n, int threads, bool fec) {
    std::vector<const Algorithm*> ptrs;
    std::vector<uint32_t> seeds, groups(n, 0);
    for (size_t i = 0; i < n; ++i) ptrs.push_back(&algorithms[i]), seeds.push_back(static_cast<uint32_t>(i));
    CandidateEvalOptions o = eval_options(threads, 16);
    o.fec.enabled = fec;
    o.fec.forget_every = 0;
    CandidateEvaluator ev(*cpu, t, o);
    PreparedBatch batch;
    std::vector<CandidateResult> results;
    ev.prepare(ptrs, seeds, groups, batch);
    ev.evaluate(batch, nullptr, results);  // warm-up: buffers, the cache's table
    ev.evaluate(batch, nullptr, results);
    const uint64_t before = g_allocations.load();
    ev.evaluate(batch, nullptr, results);
    return g_allocations.load() - before;
  };
  for (bool fec : {true, false})
    for (int threads : {1, 3}) {
      SCOPED_TRACE(std::to_string(threads) + " host threads, FEC " + (fec ? "on" : "off"));
      const uint64_t small = allocations(100, threads, fec), large = allocations(400, threads, fec);
      EXPECT_EQ(small, large) << "allocations per batch must not grow with its size";
      EXPECT_LE(large, 8u);
    }
}

}  // namespace
}  // namespace amlz
