// SPDX-License-Identifier: Apache-2.0
// `amlz search`: evolve algorithms from a config, print progress as the original did (plus throughput), write a
// run directory, and finish with the discovered algorithm. Ctrl-C stops cleanly between batches.
#include <chrono>
#include <csignal>
#include <cstdio>
#include <iostream>
#include <unistd.h>

#include "amlz/core/algorithm_text.h"
#include "amlz/error.h"
#include "amlz/search/experiment.h"
#include "cli/cli_common.h"
#include "cli/commands.h"
#include "cli/config_options.h"
#include "cli/json.h"
#include "cli/run_directory.h"
#include "cli/toml_reader.h"

namespace amlz::cli {
namespace {

std::atomic<bool> g_interrupted{false};

extern "C" void on_sigint(int) {
  // First Ctrl-C: finish the current batch and wrap up. Second: the default action (terminate).
  g_interrupted.store(true);
  std::signal(SIGINT, SIG_DFL);
}

uint32_t seed_from_clock() {
  const uint64_t ns = static_cast<uint64_t>(
      std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::system_clock::now().time_since_epoch())
          .count());
  const uint32_t s = static_cast<uint32_t>(ns % 0xFFFFFFFFull);
  return s == 0 ? 1 : s;
}

std::string fixed6(double x) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.6f", x);
  return buf;
}

// Text on stdout (as the original), progress.csv and best_algorithm.txt in the run directory, and a live status
// line on stderr when it is a terminal.
class CliReporter final : public RunReporter {
 public:
  explicit CliReporter(RunDirectory& dir) : dir_(dir), live_(isatty(STDERR_FILENO) == 1) {}

  void line(const std::string& text) override {
    clear_live();
    std::cout << text << std::endl;
  }
  void experiment_started(int experiment) override { experiment_ = experiment; }
  void on_progress(const SearchProgress& p) override {
    line("indivs=" + std::to_string(p.individuals) +
         ", elapsed_secs=" + std::to_string(static_cast<long long>(p.elapsed_seconds)) + ", mean=" + fixed6(p.mean) +
         ", stdev=" + fixed6(p.stdev) + ", best fit=" + fixed6(p.best) +
         ", indivs/s=" + format_si(p.individuals_per_second) +
         ", train steps/s=" + format_si(p.train_steps_per_second) + ", fec hit rate=" + fixed6(p.fec_hit_rate));
    dir_.append_progress(experiment_, p);
  }
  void on_batch(const SearchProgress& p, const Population& population) override {
    const auto now = std::chrono::steady_clock::now();
    if (now - last_best_write_ > std::chrono::seconds(2) && population.size() > 0) {
      last_best_write_ = now;
      dir_.write_best(population.best().algorithm, "best of the population so far (experiment " +
                                                       std::to_string(experiment_) + ", search fitness " +
                                                       fixed6(population.best().fitness) + ")");
    }
    if (!live_ || now - last_live_ < std::chrono::milliseconds(250)) return;
    last_live_ = now;
    std::fprintf(stderr, "\r\033[K[experiment %d] %lld individuals, %.0fs, best %.6f, %s indivs/s, %s steps/s",
                 experiment_, static_cast<long long>(p.individuals), p.elapsed_seconds,
                 population.size() ? population.best().fitness : 0.0, format_si(p.individuals_per_second).c_str(),
                 format_si(p.train_steps_per_second).c_str());
    live_shown_ = true;
  }
  void best_so_far(const Algorithm& a, const std::string& note) override { dir_.write_best(a, note); }

 private:
  void clear_live() {
    if (live_shown_) std::fprintf(stderr, "\r\033[K");
    live_shown_ = false;
  }
  RunDirectory& dir_;
  bool live_, live_shown_ = false;
  int experiment_ = 0;
  std::chrono::steady_clock::time_point last_live_{}, last_best_write_{};
};

}  // namespace

int cmd_search(int argc, const char* const* argv) {
  CLI::App app{"Evolve machine-learning algorithms (regularized evolution or random search) on a config's tasks.",
               "amlz search"};
  Config config;
  ConfigOptions options(app, config, ConfigUse::Search, argc, argv);
  return run_app(app, argc, argv, [&] {
    if (app.get_config_ptr()->count() == 0)
      throw ConfigError("--config is required (e.g. configs/linear_regression.toml)");
    options.finish();
    if (config.seed == 0) config.seed = seed_from_clock();
    if (config.out.empty()) config.out = default_run_directory(config.seed);
    auto evaluator = make_configured_evaluator(config);
    RunDirectory dir(config.out);
    dir.write("config.toml", to_toml(config));
    dir.write("seed.txt", std::to_string(config.seed) + "\n");
    std::cerr << "run directory: " << dir.path() << "\n";

    CliReporter reporter(dir);
    g_interrupted.store(false);
    std::signal(SIGINT, on_sigint);
    const RunSummary s = run_experiments(config, *evaluator, reporter, &g_interrupted);
    std::signal(SIGINT, SIG_DFL);

    if (s.experiments > 0 && s.individuals > 0) {
      reporter.line("Algorithm found: ");
      std::cout << to_text(s.best) << std::flush;
      dir.write_best(s.best, "best algorithm: search fitness " + fixed6(s.best_search_fitness) + ", select fitness " +
                                 fixed6(s.best_select_fitness) + ", final fitness " + fixed6(s.final_fitness) +
                                 " (seed " + std::to_string(s.seed) + ")");
    }
    dir.write_plot();
    dir.write("summary.json", JsonObject()
                                      .add("seed", s.seed)
                                      .add("backend", evaluator->describe())
                                      .add("experiments", s.experiments)
                                      .add("batch_size", s.batch_size)
                                      .add("individuals", s.individuals)
                                      .add("train_steps", s.train_steps)
                                      .add("seconds", s.seconds)
                                      .add("fec_hits", s.fec_hits)
                                      .add("fec_misses", s.fec_lookups - s.fec_hits)
                                      .add("fec_hit_rate", s.fec_hit_rate)
                                      .add("best_search_fitness", s.best_search_fitness)
                                      .add("best_select_fitness", s.best_select_fitness)
                                      .add("final_fitness", s.final_fitness)
                                      .add("success", s.success)
                                      .add("stop", enum_name(s.stop))
                                      .str() +
                                  "\n");
    std::cerr << "run directory: " << dir.path() << " (" << s.individuals << " individuals, "
              << format_si(static_cast<double>(s.train_steps)) << " train steps in " << fixed6(s.seconds) << " s";
    if (config.fec.enabled) std::cerr << "; FEC " << s.fec_hits << " hits, " << s.fec_lookups - s.fec_hits << " misses";
    std::cerr << ")\n";
    if (s.stop == StopReason::Interrupted) {
      std::cerr << "interrupted: the run directory holds the progress and the best algorithm so far\n";
      return 130;
    }
    return kExitOk;
  });
}

}  // namespace amlz::cli
