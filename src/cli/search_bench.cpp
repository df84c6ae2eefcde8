// SPDX-License-Identifier: Apache-2.0
// Whole-search benchmark: how long each backend takes to rediscover linear regression with
// configs/linear_regression.toml, over a few seeds (a run that has not succeeded after 10 minutes counts as a
// failure).
#include "cli/search_bench.h"

#include <algorithm>
#include <cstdio>
#include <filesystem>

#include "amlz/error.h"
#include "amlz/eval/backend.h"
#include "amlz/search/experiment.h"
#include "cli/config_options.h"
#include "cli/json.h"

namespace amlz::cli {
namespace {

class SilentReporter final : public RunReporter {
 public:
  void line(const std::string&) override {}
};

}  // namespace

void run_search_bench(const std::vector<BenchRun>& runs, const std::string& config_path, int seeds,
                      const std::function<void(const std::string&)>& emit, const std::atomic<bool>* stop) {
  const std::string& path = config_path;
  if (!std::filesystem::exists(path)) throw Error("the search workload needs its config: '" + path + "' not found");
  for (const BenchRun& run : runs) {
    EvaluatorOptions o;
    o.cpu_threads = run.threads;
    o.cpu_interpreter = run.interpreter;
    auto evaluator = make_evaluator(run.backend, o);
    std::vector<double> times;
    int successes = 0;
    for (int s = 1; s <= seeds && !(stop && stop->load()); ++s) {
      Config config = load_config({"--config", path}, ConfigUse::Search);
      config.seed = static_cast<uint32_t>(s);
      config.threads = run.threads;
      config.max_seconds = 600;
      SilentReporter reporter;
      const RunSummary r = run_experiments(config, *evaluator, reporter, RunLimits{stop});
      successes += r.success;
      if (r.success) times.push_back(r.seconds);
      emit(JsonObject()
               .add("bench", "search_linear_regression")
               .add("backend", enum_name(run.backend))
               .add("device", evaluator->describe())
               .add("threads", run.threads)
               .add("seed", static_cast<uint32_t>(s))
               .add("success", r.success)
               .add("seconds", r.seconds)
               .add("experiments", r.experiments)
               .add("individuals", r.individuals)
               .add("select_fitness", r.best_select_fitness)
               .str());
      std::fprintf(stderr, "%-14s %-34s seed %d: %s in %.1f s (%lld individuals)\n", "search",
                   evaluator->describe().c_str(), s, r.success ? "found" : "not found", r.seconds,
                   static_cast<long long>(r.individuals));
    }
    std::sort(times.begin(), times.end());
    emit(JsonObject()
             .add("bench", "search_linear_regression_summary")
             .add("backend", enum_name(run.backend))
             .add("device", evaluator->describe())
             .add("threads", run.threads)
             .add("seeds", seeds)
             .add("successes", successes)
             .add("median_seconds_of_successes", times.empty() ? 0.0 : times[times.size() / 2])
             .str());
  }
}

}  // namespace amlz::cli
