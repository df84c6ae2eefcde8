// SPDX-License-Identifier: Apache-2.0
#include "cli/search_workloads.h"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <optional>
#include <utility>

#include "amlz/core/compile.h"
#include "amlz/error.h"
#include "amlz/eval/backend.h"
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

void run_host_costs_bench(const std::string& config_path, const std::string& populations_dir, int repeats,
                          const Emit& emit) {
  const Config config = load_config({"--config", config_path}, ConfigUse::Search);
  const SavedPopulation& demo = saved_populations().front();
  const std::vector<bench::SavedIndividual> saved =
      bench::read_population((std::filesystem::path(populations_dir) / demo.file).string());
  Population population(static_cast<int>(saved.size()));
  for (size_t i = 0; i < saved.size(); ++i) population.add({saved[i].algorithm, saved[i].fitness, i, {}});
  const Mutator mutator(mutator_options(config.evolution, config.algorithm, config.memory));
  const TaskSet tasks = make_task_set(config.search_tasks);
  auto evaluator = evaluator_for({Backend::Cpu, 1});
  const size_t batch_size = static_cast<size_t>(automatic_batch_size(config, *evaluator));
  const size_t batches = 2000, n = batch_size * batches, nt = tasks.size();

  struct Stage {
    const char* name;
    std::vector<double> ns_per_individual;
  };
  Stage stages[] = {{"tournament_and_mutation", {}},
                    {"compile_verify_pack", {}},
                    {"fingerprint_prerun", {}},
                    {"fec_key_and_cache", {}}};
  double hit_rate = 0;
  for (int r = 0; r < std::max(1, repeats); ++r) {
    SearchRng rng(1000u + static_cast<uint64_t>(r));
    auto t = std::chrono::steady_clock::now();
    std::vector<Algorithm> children(n);
    for (Algorithm& child : children)
      child = mutator.mutate(population.tournament(config.evolution.tournament_size, rng).algorithm, 1, rng);
    stages[0].ns_per_individual.push_back(seconds_since(t) * 1e9 / n);

    t = std::chrono::steady_clock::now();
    std::vector<ProgramBatch> packed(batches);
    for (size_t b = 0; b < batches; ++b)
      for (size_t i = 0; i < batch_size; ++i) {
        const Program p = compile(children[b * batch_size + i]);
        if (auto problem = verify(p)) throw std::logic_error("compiled program fails verification: " + *problem);
        packed[b].add(p, rng.next_u32());
      }
    stages[1].ns_per_individual.push_back(seconds_since(t) * 1e9 / n);

    t = std::chrono::steady_clock::now();
    EvalRequest fp;
    fp.mode = EvalMode::Fingerprint;
    fp.max_abs_error = config.max_abs_error;
    std::vector<WorkItem> items;
    for (size_t i = 0; i < batch_size; ++i)
      for (size_t k = 0; k < nt; ++k)
        items.push_back(
            {static_cast<uint32_t>(i), static_cast<uint32_t>(k),
             std::min<uint32_t>(static_cast<uint32_t>(config.fec.num_train), tasks.tasks[k].max_train_steps()),
             static_cast<uint32_t>(config.fec.num_valid)});
    std::vector<std::vector<TaskResult>> fingerprints(batches);
    for (size_t b = 0; b < batches; ++b) fingerprints[b] = evaluator->evaluate(packed[b], tasks, items, fp);
    stages[2].ns_per_individual.push_back(seconds_since(t) * 1e9 / n);

    t = std::chrono::steady_clock::now();
    FecCache cache(static_cast<size_t>(config.fec.cache_size), config.fec.forget_every);
    std::vector<uint64_t> keys(batch_size * nt);
    for (size_t b = 0; b < batches; ++b) {
      for (size_t s = 0; s < keys.size(); ++s) {
        keys[s] = fec_key(fingerprints[b][s].fingerprint, static_cast<uint32_t>(s % nt),
                          tasks.tasks[s % nt].max_train_steps());
        cache.prefetch(keys[s]);
      }
      for (size_t s = 0; s < keys.size(); ++s)
        if (!cache.lookup(keys[s])) cache.insert(keys[s], 0.5);
    }
    stages[3].ns_per_individual.push_back(seconds_since(t) * 1e9 / n);
    hit_rate = static_cast<double>(cache.hits()) / static_cast<double>(cache.hits() + cache.misses());
  }
  JsonObject j;
  j.add("bench", "host_costs").add("device", evaluator->describe()).add("individuals", static_cast<uint64_t>(n));
  j.add("fec_hit_rate", hit_rate);
  std::fprintf(stderr, "host costs per individual (%zu children of the saved demo population, batches of %zu, %s):\n",
               n, batch_size, evaluator->describe().c_str());
  for (Stage& s : stages) {
    const double ns = median(s.ns_per_individual);
    j.add(std::string(s.name) + "_ns", ns);
    std::fprintf(stderr, "  %-26s %8.0f ns\n", s.name, ns);
  }
  std::fprintf(stderr, "  (FEC task hit rate %.2f)\n", hit_rate);
  emit(j.str());
}

}  // namespace amlz::cli
