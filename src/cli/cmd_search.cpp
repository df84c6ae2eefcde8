// SPDX-License-Identifier: Apache-2.0
// `amlz search`: evolve algorithms from a config, print progress as the original did (plus throughput), write a
// run directory, and finish with the discovered algorithm. SIGINT, SIGTERM and SIGHUP stop any phase cleanly (exit
// 128 + signal); a closed stdout ends the run the same way (exit 141); the run directory is complete either way.
#include <chrono>
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
#include "cli/output.h"
#include "cli/run_directory.h"
#include "cli/search_reporter.h"
#include "cli/stop_signals.h"

namespace amlz::cli {
namespace {

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

std::string summary_json(const RunSummary& s, const Evaluator& evaluator) {
  JsonObject j;
  j.add("seed", s.seed)
      .add("backend", evaluator.describe())
      .add("experiments", s.experiments)
      .add("batch_size", s.batch_size)
      .add("individuals", s.individuals)
      .add("train_steps", s.train_steps)
      .add("hurdle_steps_avoided", s.steps_avoided)
      .add("seconds", s.seconds)
      .add("fec_hits", s.fec_hits)
      .add("fec_misses", s.fec_lookups - s.fec_hits)
      .add("fec_hit_rate", s.fec_hit_rate)
      .add("best_search_fitness", s.best_search_fitness)
      .add("best_select_fitness", s.best_select_fitness);
  if (s.final_done)
    j.add("final_fitness", s.final_fitness);
  else
    j.raw("final_fitness", "null");
  return j.add("success", s.success).add("stop", enum_name(s.stop)).add("stopped_in", enum_name(s.stopped_in)).str() +
         "\n";
}

}  // namespace

int cmd_search(int argc, const char* const* argv) {
  CLI::App app{"Evolve machine-learning algorithms (regularized evolution or random search) on a config's tasks.",
               "amlz search"};
  Config config;
  ConfigOptions options(app, config, ConfigUse::Search, argc, argv);
  bool quiet = false;
  app.add_flag("--quiet,-q", quiet, "No live status line on stderr (stdout and the run directory are unchanged)");
  return run_app(app, argc, argv, [&] {
    if (app.get_config_ptr()->count() == 0)
      throw ConfigError("--config is required (e.g. configs/linear_regression.toml)");
    options.finish();
    if (config.seed == 0) config.seed = seed_from_clock();
    if (config.out.empty()) config.out = default_run_directory(config.seed);
    const StopSignals signals;
    auto evaluator = make_configured_evaluator(config);
    RunDirectory dir(config.out);
    SearchReporter reporter(dir, config, {quiet, isatty(STDERR_FILENO) == 1});
    RunSummary s;
    try {
      dir.write("config.toml", to_toml(config));
      dir.write("seed.txt", std::to_string(config.seed) + "\n");
      dir.describe_run(app.get_config_ptr()->as<std::string>(), evaluator->describe());
      std::cerr << "run directory: " << printable(dir.path()) << "\n";
      s = run_experiments(config, *evaluator, reporter, RunLimits{&signals.flag()});
    } catch (...) {
      // A run that failed before anything was evaluated leaves nothing behind; one that ran keeps its files.
      if (s.individuals == 0 && !dir.has_progress()) dir.discard();
      throw;
    }

    if (s.experiments > 0 && s.individuals > 0) {
      reporter.line("Algorithm found: ");
      const std::string text = to_text(s.best);
      print_line(text.substr(0, text.size() - 1));  // print_line adds the last newline
      dir.write_best(s.best, "best algorithm: search fitness " + fixed6(s.best_search_fitness) + ", select fitness " +
                                 fixed6(s.best_select_fitness) + ", final fitness " +
                                 (s.final_done ? fixed6(s.final_fitness) : std::string("not evaluated")) + " (seed " +
                                 std::to_string(s.seed) + ")");
    }
    dir.write("summary.json", summary_json(s, *evaluator));
    dir.write_plot();  // after the summary: the plot's title shows the outcome
    std::cerr << "run directory: " << printable(dir.path()) << " (" << s.individuals << " individuals, "
              << format_si(static_cast<double>(s.train_steps)) << " train steps in " << fixed6(s.seconds) << " s";
    if (config.fec.enabled) std::cerr << "; FEC " << s.fec_hits << " hits, " << s.fec_lookups - s.fec_hits << " misses";
    std::cerr << ")\n";
    if (s.stop == StopReason::TimeLimit && s.stopped_in != Phase::Search)
      std::cerr << "time limit: the " << enum_name(s.stopped_in) << " evaluation was cut short\n";
    if (signals.signal() != 0 || signals.output_failed()) {
      std::cerr << "stopped by "
                << (signals.output_failed() ? std::string("standard output failing")
                                            : "signal " + std::to_string(signals.signal()))
                << " in the " << enum_name(s.stopped_in)
                << " phase: the run directory holds the progress, the best algorithm so far and the summary\n";
      return signals.exit_code() != 0 ? signals.exit_code() : kExitFailure;  // run_app says what stdout did
    }
    return kExitOk;
  });
}

}  // namespace amlz::cli
