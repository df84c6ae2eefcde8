// SPDX-License-Identifier: Apache-2.0
#include "cli/islands_bench.h"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <ctime>
#include <filesystem>
#include <vector>

#include "amlz/error.h"
#include "amlz/eval/backend.h"
#include "amlz/search/experiment.h"
#include "amlz/search/search.h"
#include "cli/config_options.h"
#include "cli/json.h"

namespace amlz::cli {
namespace {

class Silent final : public RunReporter {
 public:
  void line(const std::string&) override {}
};

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v.empty() ? 0.0 : v[v.size() / 2];
}

// Every migrating variant exchanges migrants every 5 generations of its islands (half the population each time).
int64_t migration_interval(const Config& c) { return 5 * static_cast<int64_t>(c.evolution.population_size); }

double process_cpu_seconds() {
  timespec t{};
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t);
  return static_cast<double>(t.tv_sec) + 1e-9 * static_cast<double>(t.tv_nsec);
}

struct Throughput {
  double seconds = 0;
  double cpu_seconds = 0;  // of this process (all its threads)
  int64_t individuals = 0;
  uint64_t train_steps = 0;
  double best_fitness = 0;
};

// One search (no select or final evaluation) of `config` with its islands spread over `group` (nullptr: all here).
Throughput search_once(const Config& config, SearchGroup* group) {
  EvaluatorOptions eo;
  eo.cpu_threads = 1;
  auto evaluator = make_evaluator(Backend::Cpu, eo);
  const TaskSet tasks = make_task_set(config.search_tasks);
  CandidateEvalOptions co;
  co.combination = config.combination;
  co.max_abs_error = config.max_abs_error;
  co.fec = config.fec;
  SearchGroup single;
  const uint32_t k = static_cast<uint32_t>(config.islands.count);
  CandidateEvaluator candidates(*evaluator, tasks, co, (group ? group : &single)->local_islands(k).size());
  SearchOptions so;
  so.evolution = config.evolution;
  so.evolution.batch_size = automatic_batch_size(config, *evaluator);
  so.algorithm = config.algorithm;
  so.memory = config.memory;
  so.islands = config.islands;
  so.hurdles = config.hurdles;
  so.group = group;
  SearchRng rng(config.seed);
  const auto start = std::chrono::steady_clock::now();
  const double cpu_start = process_cpu_seconds();
  const SearchResult r = run_search(so, candidates, rng);
  Throughput t;
  t.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  t.cpu_seconds = process_cpu_seconds() - cpu_start;
  t.individuals = r.individuals;
  t.train_steps = r.train_steps;
  t.best_fitness = r.best.fitness;
  return t;
}

void throughput(const IslandsBenchOptions& o, SearchGroup& group, const std::function<void(const std::string&)>& emit) {
  const int n = group.ranks();
  const int k = std::max(4, n);
  Config config = load_config(
      {"--config", o.config_path, "--seed", "1", "--islands.count", std::to_string(k), "--islands.migrate_every",
       "1000", "--evolution.max_train_steps", o.quick ? "20000000" : "100000000"},
      ConfigUse::Search);
  config.islands.migrate_every = migration_interval(config);
  const int repeats = o.quick ? 1 : o.repeats;
  // One process: rank 0 alone, the others waiting for it.
  std::vector<double> alone_rates, alone_cpu;
  Throughput alone;
  if (group.rank() == 0)
    for (int i = 0; i < repeats; ++i) {
      alone = search_once(config, nullptr);
      alone_rates.push_back(static_cast<double>(alone.individuals) / alone.seconds);
      alone_cpu.push_back(alone.cpu_seconds);
    }
  group.broadcast(true);
  std::vector<double> spread_rates, spread_cpu;
  Throughput spread;
  for (int i = 0; i < repeats; ++i) {
    spread = search_once(config, &group);
    spread_rates.push_back(static_cast<double>(spread.individuals) / spread.seconds);
    // The CPU time of all ranks: what the spread search costs in all, waiting included.
    std::vector<double> cpu = {spread.cpu_seconds}, none;
    group.reduce(cpu, none);
    spread_cpu.push_back(cpu[0]);
  }
  if (group.rank() != 0) return;
  // The median run of each: its seconds, and the rate its individuals make in them.
  // CPU seconds: of every rank together, the median run's. A shared machine's load lengthens the wall time of a
  // search that waits for its slowest rank at every agreement; the CPU time says what the ranks themselves spent.
  auto line = [&](int ranks, const Throughput& t, double rate, double cpu) {
    JsonObject j;
    j.add("bench", "islands_throughput")
        .add("ranks", ranks)
        .add("islands", k)
        .add("threads_per_rank", 1)
        .add("migrate_every", config.islands.migrate_every)
        .add("individuals", t.individuals)
        .add("train_steps", t.train_steps)
        .add("seconds", static_cast<double>(t.individuals) / rate)
        .add("individuals_per_s", rate)
        .add("cpu_seconds", cpu);
    return j;
  };
  const double r1 = median(alone_rates), rn = median(spread_rates);
  const double c1 = median(alone_cpu), cn = median(spread_cpu);
  emit(line(1, alone, r1, c1).str());
  std::fprintf(stderr, "%-22s %2d rank(s) %3d islands %12.4g individuals/s\n", "islands_throughput", 1, k, r1);
  if (n > 1) {
    // The same seed on any number of ranks is the same search: a rate compares like with like.
    const bool same = alone.individuals == spread.individuals && alone.train_steps == spread.train_steps &&
                      alone.best_fitness == spread.best_fitness;
    emit(line(n, spread, rn, cn)
             .add("scaling_efficiency", rn / (n * r1))
             .add("cpu_efficiency", c1 / cn)
             .add("same_search_as_one_rank", same)
             .str());
    std::fprintf(stderr,
                 "%-22s %2d rank(s) %3d islands %12.4g individuals/s  scaling efficiency %.2f, CPU efficiency %.2f%s\n",
                 "islands_throughput", n, k, rn, rn / (n * r1), c1 / cn, same ? "" : "  (NOT the same search!)");
  }
}

void rediscovery(const IslandsBenchOptions& o, SearchGroup& group, const std::function<void(const std::string&)>& emit,
                 const std::atomic<bool>* stop) {
  struct Variant {
    int islands;
    bool migrate;
  };
  const int seeds = o.quick ? 1 : o.seeds;
  for (const Variant v : {Variant{1, false}, Variant{4, true}, Variant{16, true}, Variant{16, false}}) {
    if (v.islands < group.ranks()) continue;
    std::vector<double> times, steps;
    int successes = 0, runs = 0;
    int64_t migrate_every = 0;
    for (int s = 1; s <= seeds; ++s) {
      if (group.agree(0, stop && stop->load() ? 2 : 0).stop != 0) break;  // every rank, or none
      Config config =
          load_config({"--config", o.config_path, "--islands.count", std::to_string(v.islands)}, ConfigUse::Search);
      config.seed = static_cast<uint32_t>(s);
      config.threads = 1;
      config.max_seconds = o.max_seconds;
      config.experiment.max_experiments = o.max_experiments;
      config.islands.migrate_every = v.migrate ? migration_interval(config) : 0;
      migrate_every = config.islands.migrate_every;
      EvaluatorOptions eo;
      eo.cpu_threads = 1;
      auto evaluator = make_evaluator(Backend::Cpu, eo);
      Silent silent;
      const RunSummary r = run_experiments(config, *evaluator, silent, RunLimits{stop}, {}, &group);
      ++runs;
      successes += r.success;
      if (r.success) times.push_back(r.seconds), steps.push_back(static_cast<double>(r.train_steps));
      if (group.rank() != 0) continue;
      emit(JsonObject()
               .add("bench", "islands_rediscovery")
               .add("ranks", group.ranks())
               .add("islands", v.islands)
               .add("migrate_every", migrate_every)
               .add("seed", static_cast<uint32_t>(s))
               .add("success", r.success)
               .add("seconds", r.seconds)
               .add("experiments", r.experiments)
               .add("individuals", r.individuals)
               .add("train_steps", r.train_steps)
               .add("select_fitness", r.best_select_fitness)
               .str());
      std::fprintf(stderr, "%-22s %2d islands%s seed %d: %s in %.1f s (%d experiments, %lld individuals)\n",
                   "islands_rediscovery", v.islands, v.migrate ? ", migrating" : "", s,
                   r.success ? "found" : "not found", r.seconds, r.experiments, static_cast<long long>(r.individuals));
    }
    if (group.rank() != 0) continue;
    emit(JsonObject()
             .add("bench", "islands_rediscovery_summary")
             .add("ranks", group.ranks())
             .add("islands", v.islands)
             .add("migrate_every", migrate_every)
             .add("seeds", runs)
             .add("successes", successes)
             .add("median_train_steps_of_successes", median(steps))
             .add("median_seconds_of_successes", median(times))
             .add("max_experiments", o.max_experiments)
             .add("max_seconds", o.max_seconds)
             .str());
  }
}

}  // namespace

void run_islands_bench(const std::string& part, const IslandsBenchOptions& o, dist::ProcessGroup* group,
                       const std::function<void(const std::string&)>& emit, const std::atomic<bool>* stop) {
  if (!std::filesystem::exists(o.config_path))
    throw Error("the islands workload needs its config: '" + o.config_path + "' not found");
  SearchGroup single;
  SearchGroup& g = group ? *static_cast<SearchGroup*>(group) : single;
  if (part != "islands_rediscovery") throughput(o, g, emit);
  if (part != "islands_throughput") rediscovery(o, g, emit, stop);
}

}  // namespace amlz::cli
