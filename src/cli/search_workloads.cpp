// SPDX-License-Identifier: Apache-2.0
#include "cli/search_workloads.h"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <ctime>
#include <filesystem>
#include <iterator>
#include <optional>
#include <utility>

#include "amlz/core/compile.h"
#include "amlz/error.h"
#include "amlz/eval/backend.h"
#include "amlz/search/candidate_evaluator.h"
#include "amlz/search/experiment.h"
#include "amlz/search/fec_cache.h"
#include "amlz/search/mutator.h"
#include "amlz/search/population.h"
#include "amlz/search/search.h"
#include "cli/config_options.h"
#include "cli/json.h"

namespace amlz::cli {
namespace {

double seconds_since(std::chrono::steady_clock::time_point t) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t).count();
}

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v.empty() ? 0.0 : v[v.size() / 2];
}

std::unique_ptr<Evaluator> evaluator_for(const BenchRun& run) {
  EvaluatorOptions o;
  o.cpu_threads = run.threads;
  o.cpu_interpreter = run.interpreter;
  return make_evaluator(run.backend, o);
}

std::string joined(const std::vector<std::string>& args) {
  std::string s;
  for (const std::string& a : args) s += (s.empty() ? "" : " ") + a;
  return s;
}

class Silent final : public RunReporter {
 public:
  void line(const std::string&) override {}
};

// Keeps the population of the search's last generation: the one whose end first reaches the training budget (the
// search checks its budget between generations).
class PopulationKeeper final : public RunReporter {
 public:
  PopulationKeeper(int population_size, uint64_t budget) : size_(population_size), budget_(budget) {}
  void line(const std::string&) override {}
  void on_batch(const SearchProgress& p, const SearchState& state) override {
    if (kept_ || p.individuals % size_ != 0 || p.train_steps < budget_) return;
    for (const Individual& ind : state.islands.front()->slots()) individuals_.push_back({ind.algorithm, ind.fitness});
    kept_ = true;
  }
  const std::vector<bench::SavedIndividual>& individuals() const { return individuals_; }

 private:
  int size_;
  uint64_t budget_;
  bool kept_ = false;
  std::vector<bench::SavedIndividual> individuals_;
};

}  // namespace

const std::vector<SavedPopulation>& saved_populations() {
  static const std::vector<SavedPopulation> populations = {
      {"population_demo_f4",
       "demo_f4.txt",
       "population at the end of a demo experiment: F=4, 10 linear tasks, 100/100",
       {"--config", "configs/linear_regression.toml", "--experiment.max_experiments", "1", "--seed", "1"}},
      {"population_nn_f8",
       "nn_f8.txt",
       "population of a teacher-network search: F=8, 10 nn_teacher tasks, 1000/100",
       {"--config", "configs/nn_regression.toml", "--evolution.max_train_steps", "2000000000",
        "--experiment.max_experiments", "1", "--seed", "1"}},
      {"population_nn_f16",
       "nn_f16.txt",
       "population of a teacher-network search: F=16, 10 nn_teacher tasks, 8000/1000",
       {"--config", "configs/nn_regression.toml", "--search_tasks.features", "16", "--search_tasks.num_train", "8000",
        "--search_tasks.num_valid", "1000", "--evolution.max_train_steps", "500000000", "--experiment.max_experiments",
        "1", "--seed", "1"}},
  };
  return populations;
}

void save_populations(const std::string& dir, int threads, const Emit& emit) {
  std::filesystem::create_directories(dir);
  for (const SavedPopulation& p : saved_populations()) {
    Config config = load_config(p.args, ConfigUse::Search);
    config.threads = threads;
    config.backend = "cpu";
    auto evaluator = evaluator_for({Backend::Cpu, threads});
    PopulationKeeper keeper(config.evolution.population_size, static_cast<uint64_t>(config.evolution.max_train_steps));
    const auto start = std::chrono::steady_clock::now();
    const RunSummary r = run_experiments(config, *evaluator, keeper);
    AMLZ_CHECK(!keeper.individuals().empty(), "the search of " + p.file + " ended before its last generation");
    const std::string path = (std::filesystem::path(dir) / p.file).string();
    bench::write_population(
        path,
        {"amlz population " + p.file + ": the " + p.description,
         "the final population (" + std::to_string(keeper.individuals().size()) + " individuals, slot order) of:",
         "  amlz search " + joined(p.args),
         "made again, with the others, by: amlz bench --save-populations bench/populations   (repository root)",
         "each individual: a line '# individual K: fitness F', then the algorithm as amlz prints it"},
        keeper.individuals());
    emit(JsonObject()
             .add("bench", "save_population")
             .add("file", path)
             .add("individuals", static_cast<uint64_t>(keeper.individuals().size()))
             .add("search_individuals", r.individuals)
             .add("train_steps", r.train_steps)
             .add("seconds", seconds_since(start))
             .str());
    std::fprintf(stderr, "wrote %s (%zu individuals; the search made %lld in %.1f s)\n", path.c_str(),
                 keeper.individuals().size(), static_cast<long long>(r.individuals), seconds_since(start));
  }
}

bench::Workload saved_population_workload(const SavedPopulation& p, const std::string& dir, int programs) {
  const Config config = load_config(p.args, ConfigUse::Search);
  return bench::population_workload(p.workload, p.description, (std::filesystem::path(dir) / p.file).string(),
                                    config.search_tasks, programs);
}

void run_experiment_bench(const std::vector<BenchRun>& runs, const std::string& config_path, int seeds,
                          const Emit& emit) {
  if (!std::filesystem::exists(config_path))
    throw Error("the experiment workload needs its config: '" + config_path + "' not found");
  for (const BenchRun& run : runs) {
    auto evaluator = evaluator_for(run);
    for (bool fec : {false, true}) {
      const std::string name = fec ? "experiment_fec_on" : "experiment_fec_off";
      std::vector<double> seconds, individuals_per_s, steps_per_s;
      for (int s = 1; s <= seeds; ++s) {
        Config config = load_config({"--config", config_path, "--experiment.max_experiments", "1", "--fec.enabled",
                                     fec ? "true" : "false", "--seed", std::to_string(s)},
                                    ConfigUse::Search);
        config.threads = run.threads;
        Silent silent;
        const RunSummary r = run_experiments(config, *evaluator, silent);
        seconds.push_back(r.seconds);
        individuals_per_s.push_back(static_cast<double>(r.individuals) / r.seconds);
        steps_per_s.push_back(static_cast<double>(r.train_steps) / r.seconds);
        emit(JsonObject()
                 .add("bench", name)
                 .add("backend", enum_name(run.backend))
                 .add("device", evaluator->describe())
                 .add("threads", run.threads)
                 .add("seed", static_cast<uint32_t>(s))
                 .add("seconds", r.seconds)
                 .add("individuals", r.individuals)
                 .add("train_steps", r.train_steps)
                 .add("individuals_per_s", individuals_per_s.back())
                 .add("train_steps_per_s", steps_per_s.back())
                 .add("fec_hit_rate", r.fec_hit_rate)
                 .str());
        std::fprintf(stderr, "%-18s %-46s seed %d: %6.2f s, %lld individuals, %.3g individuals/s, %.3g steps/s\n",
                     name.c_str(), evaluator->describe().c_str(), s, r.seconds, static_cast<long long>(r.individuals),
                     individuals_per_s.back(), steps_per_s.back());
      }
      emit(JsonObject()
               .add("bench", name + "_summary")
               .add("backend", enum_name(run.backend))
               .add("device", evaluator->describe())
               .add("threads", run.threads)
               .add("seeds", seeds)
               .add("min_seconds", *std::min_element(seconds.begin(), seconds.end()))
               .add("median_seconds", median(seconds))
               .add("median_individuals_per_s", median(individuals_per_s))
               .add("median_train_steps_per_s", median(steps_per_s))
               .str());
    }
  }
}

namespace {

HostTime host_time_now() {
  auto seconds = [](clockid_t id) {
    timespec ts{};
    clock_gettime(id, &ts);
    return static_cast<double>(ts.tv_sec) + 1e-9 * static_cast<double>(ts.tv_nsec);
  };
  return {seconds(CLOCK_MONOTONIC), seconds(CLOCK_PROCESS_CPUTIME_ID)};
}

HostTime minus(const HostTime& a, const HostTime& b) { return {a.wall - b.wall, a.cpu - b.cpu}; }

}  // namespace

void run_host_costs_bench(const std::string& config_path, const std::string& populations_dir, int repeats,
                          const std::vector<int>& thread_counts, bool quick, const Emit& emit) {
  const Config config = load_config({"--config", config_path}, ConfigUse::Search);
  const SavedPopulation& demo = saved_populations().front();
  const std::vector<bench::SavedIndividual> saved =
      bench::read_population((std::filesystem::path(populations_dir) / demo.file).string());
  Population population(static_cast<int>(saved.size()));
  for (size_t i = 0; i < saved.size(); ++i) population.add({saved[i].algorithm, saved[i].fitness, i, {}});
  const Mutator mutator(mutator_options(config.evolution, config.algorithm, config.memory));
  const TaskSet tasks = make_task_set(config.search_tasks);
  // Batches as a GPU search would hand over (the CPU's automatic batch of this config is a few tens).
  const size_t batch_size = kHostBenchBatch, batches = quick ? 4 : 50, n = batch_size * batches;

  // One island, then 16 (the children dealt round-robin to 16 FEC caches, which the host threads then serve in
  // parallel, each in slot order).
  for (const int islands : {1, 16})
    for (const int threads : thread_counts) {
      auto evaluator = evaluator_for({Backend::Cpu, threads});
      struct Stage {
        const char* name;
        int kind;  // 0 serial (one thread whatever the host threads), 1 parallel (chunks over them), 2 evaluator
        std::vector<double> wall_ns, cpu_ns;
      };
      Stage stages[] = {
          {"tournament_and_mutation", 0, {}, {}},     {"prepare_parallel", 1, {}, {}}, {"prepare_serial", 0, {}, {}},
          {"fingerprint_prerun", 2, {}, {}},          {"fec_keys", 1, {}, {}},         {"fec_items", 0, {}, {}},
          {"fec_cache", islands > 1 ? 1 : 0, {}, {}}, {"evaluator_verify", 0, {}, {}}, {"full_evaluation", 2, {}, {}}};
      // The search's own path: prepare() into reused buffers, then evaluate() with FEC (the evaluator times its
      // parts). One evaluator for all repeats, as in a search: its buffers and FEC cache warm.
      CandidateEvalOptions eo;
      eo.combination = config.combination;
      eo.max_abs_error = config.max_abs_error;
      eo.fec = config.fec;
      eo.fec.enabled = true;
      eo.host_threads = threads;
      eo.time_host = true;
      CandidateEvaluator ev(*evaluator, tasks, eo, static_cast<size_t>(islands));
      const int host_threads = ev.host_threads();
      PreparedBatch prepared;
      std::vector<CandidateResult> results;
      std::vector<const Algorithm*> ptrs(batch_size);
      std::vector<uint32_t> seeds(batch_size), groups(batch_size);
      for (size_t i = 0; i < batch_size; ++i) groups[i] = static_cast<uint32_t>(i % static_cast<size_t>(islands));
      std::vector<Algorithm> children(n);
      uint64_t hits = 0, lookups = 0;  // task results answered by the cache (a copy within the batch included)
      for (int r = -1; r < std::max(1, repeats); ++r) {  // r = -1: a warm-up, not counted
        SearchRng rng(1000u + static_cast<uint64_t>(r + 1));
        const HostTime t = host_time_now();
        for (Algorithm& child : children)
          child = mutator.mutate(population.tournament(config.evolution.tournament_size, rng).algorithm, 1, rng);
        const HostTime mutation = minus(host_time_now(), t);
        const HostTimings before = ev.host_timings();
        uint64_t batch_hits = 0;
        HostTime verify_time;
        for (size_t b = 0; b < batches; ++b) {
          for (size_t i = 0; i < batch_size; ++i) {
            ptrs[i] = &children[b * batch_size + i];
            seeds[i] = rng.next_u32();
          }
          ev.prepare(ptrs, seeds, groups, prepared);
          // What every evaluator (CPU and CUDA) does on the calling thread at the start of each call, so twice per
          // batch with FEC: verify the whole batch again. Timed here once, counted twice.
          const HostTime v = host_time_now();
          if (auto problem = verify(prepared.programs)) throw Error("prepared batch fails verification: " + *problem);
          const HostTime dv = minus(host_time_now(), v);
          verify_time.wall += 2 * dv.wall;
          verify_time.cpu += 2 * dv.cpu;
          ev.evaluate(prepared, nullptr, results);
          for (const CandidateResult& c : results) batch_hits += c.fec_hits;
        }
        if (r < 0) continue;
        const HostTimings h = ev.host_timings();
        const HostTime parts[] = {mutation,
                                  minus(h.prepare_parallel, before.prepare_parallel),
                                  minus(h.prepare_serial, before.prepare_serial),
                                  minus(h.fingerprint, before.fingerprint),
                                  minus(h.fec_keys, before.fec_keys),
                                  minus(h.fec_items, before.fec_items),
                                  minus(h.fec_cache, before.fec_cache),
                                  verify_time,
                                  minus(h.full, before.full)};
        static_assert(std::size(parts) == std::size(stages), "one time per stage");
        for (size_t k = 0; k < std::size(parts); ++k) {
          stages[k].wall_ns.push_back(parts[k].wall * 1e9 / static_cast<double>(n));
          stages[k].cpu_ns.push_back(parts[k].cpu * 1e9 / static_cast<double>(n));
        }
        hits += batch_hits;
        lookups += n * tasks.size();
      }
      const double hit_rate = lookups ? static_cast<double>(hits) / static_cast<double>(lookups) : 0.0;
      // Amdahl from CPU time (the process's, all threads): a serial stage's is its time on its one thread, a parallel
      // stage's the thread-time it needs (work plus handing it out); the box is shared, and wall time also holds the
      // time other processes had the cores. 16 threads: serial + parallel / 16.
      double serial = 0, parallel_host = 0, fingerprint = 0;
      JsonObject j;
      j.add("bench", "host_costs")
          .add("device", evaluator->describe())
          .add("threads", host_threads)
          .add("islands", islands)
          .add("batch", static_cast<uint64_t>(batch_size))
          .add("individuals", static_cast<uint64_t>(n))
          .add("repeats", std::max(1, repeats));
      std::fprintf(stderr,
                   "host costs per individual, %d host thread(s), %d island(s) (%zu children of the saved demo "
                   "population, batches "
                   "of %zu, %s), median of %d:\n  %-26s %10s %10s\n",
                   host_threads, islands, n, batch_size, evaluator->describe().c_str(), std::max(1, repeats), "stage",
                   "wall ns", "cpu ns");
      for (Stage& s : stages) {
        const double wall = median(s.wall_ns), cpu = median(s.cpu_ns);
        j.add(std::string(s.name) + "_ns", wall).add(std::string(s.name) + "_cpu_ns", cpu);
        std::fprintf(stderr, "  %-26s %10.1f %10.1f  %s\n", s.name, wall, cpu,
                     s.kind == 0   ? "serial"
                     : s.kind == 1 ? "parallel"
                                   : "evaluator (its threads, or the device)");
        if (s.kind == 0) serial += cpu;
        if (s.kind == 1) parallel_host += cpu;
        if (std::string(s.name) == "fingerprint_prerun") fingerprint = cpu;
      }
      const double at16 = serial + parallel_host / 16, at16_fp = at16 + fingerprint / 16;
      j.add("fec_hit_rate", hit_rate)
          .add("serial_cpu_ns", serial)
          .add("parallel_cpu_ns", parallel_host)
          .add("fingerprint_cpu_ns", fingerprint)
          .add("amdahl16_ns", at16)
          .add("amdahl16_candidates_per_s", 1e9 / at16)
          .add("amdahl16_with_fingerprint_ns", at16_fp)
          .add("amdahl16_with_fingerprint_candidates_per_s", 1e9 / at16_fp);
      std::fprintf(stderr,
                   "  FEC task hit rate %.2f; CPU time: serial %.0f ns, parallel %.0f ns (+ fingerprint %.0f)\n"
                   "  16 threads (Amdahl): %.0f ns = %.3g candidates/s; with the fingerprint on the host: %.0f ns = "
                   "%.3g candidates/s\n",
                   hit_rate, serial, parallel_host, fingerprint, at16, 1e9 / at16, at16_fp, 1e9 / at16_fp);
      emit(j.str());
    }
}

}  // namespace amlz::cli
