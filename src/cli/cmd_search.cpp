// SPDX-License-Identifier: Apache-2.0
// `amlz search`: evolve algorithms from a config, print progress as the original did (plus throughput), write a
// run directory, and finish with the discovered algorithm. SIGINT, SIGTERM and SIGHUP stop any phase cleanly (exit
// 128 + signal); a closed stdout ends the run the same way (exit 141); the run directory is complete either way.
#include <chrono>
#include <cstdio>
#include <iostream>
#include <sstream>
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
#include "cli/stop_signals.h"
#include "dist/launch.h"

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

// Text on stdout (as the original), progress.csv and best_algorithm.txt in the run directory, and a live status
// line on stderr: updated in place on a terminal, a plain line every 10 s otherwise (logs, CI).
class CliReporter final : public RunReporter {
 public:
  CliReporter(RunDirectory& dir, bool hurdles) : dir_(dir), live_(isatty(STDERR_FILENO) == 1), hurdles_(hurdles) {}

  void line(const std::string& text) override {
    clear_live();
    print_line(text);
  }
  void experiment_started(int experiment) override { experiment_ = experiment; }
  void on_progress(const SearchProgress& p) override {
    line("indivs=" + std::to_string(p.individuals) +
         ", elapsed_secs=" + std::to_string(static_cast<long long>(p.elapsed_seconds)) + ", mean=" + fixed6(p.mean) +
         ", stdev=" + fixed6(p.stdev) + ", best fit=" + fixed6(p.best) +
         ", indivs/s=" + format_si(p.individuals_per_second) +
         ", train steps/s=" + format_si(p.train_steps_per_second) + ", fec hit rate=" + fixed6(p.fec_hit_rate) +
         (hurdles_ ? ", hurdle pass rate=" + fixed6(p.hurdle_pass_rate) +
                         ", train steps saved=" + format_si(static_cast<double>(p.steps_avoided))
                   : std::string()));
    dir_.append_progress(experiment_, p);
  }
  void on_batch(const SearchProgress& p, const SearchState& state) override {
    const auto now = std::chrono::steady_clock::now();
    const Individual& best = state.best();
    dir_.track_best(experiment_, p, best);
    if (now - last_best_write_ > std::chrono::seconds(2)) {
      last_best_write_ = now;
      dir_.write_best(best.algorithm, "best of the population so far (experiment " + std::to_string(experiment_) +
                                          ", search fitness " + fixed6(best.fitness) + ")");
    }
    char text[256];
    std::snprintf(text, sizeof text, "[experiment %d] %lld individuals, %.0fs, best %.6f, %s indivs/s, %s steps/s",
                  experiment_, static_cast<long long>(p.individuals), p.elapsed_seconds, best.fitness,
                  format_si(p.individuals_per_second).c_str(), format_si(p.train_steps_per_second).c_str());
    status(text, now);
  }
  void evaluation_progress(Phase phase, size_t done, size_t total) override {
    const std::string text = std::string(enum_name(phase)) + " evaluation: " + std::to_string(done) + " of " +
                             std::to_string(total) + " tasks";
    status(text, std::chrono::steady_clock::now());
  }
  void building_tasks(Phase phase, size_t done, size_t total) override {
    status("building the " + std::string(enum_name(phase)) + " tasks: " + std::to_string(done) + " of " +
               std::to_string(total),
           std::chrono::steady_clock::now());
  }
  void best_so_far(const Algorithm& a, const std::string& note) override { dir_.write_best(a, note); }

 private:
  void status(const std::string& text, std::chrono::steady_clock::time_point now) {
    if (live_) {
      if (now - last_status_ < std::chrono::milliseconds(250)) return;
      std::fprintf(stderr, "\r\033[K%s", text.c_str());
      live_shown_ = true;
    } else {
      if (now - last_status_ < std::chrono::seconds(10)) return;
      std::fprintf(stderr, "%s\n", text.c_str());
    }
    last_status_ = now;
  }
  void clear_live() {
    if (live_shown_) std::fprintf(stderr, "\r\033[K");
    live_shown_ = false;
  }
  RunDirectory& dir_;
  bool live_, live_shown_ = false;
  bool hurdles_;  // the progress line also says what hurdles saved
  int experiment_ = 0;
  std::chrono::steady_clock::time_point last_status_{}, last_best_write_{};
};

std::string summary_json(const RunSummary& s, const Evaluator& evaluator, int processes) {
  JsonObject j;
  j.add("seed", s.seed)
      .add("backend", evaluator.describe())
      .add("processes", processes)
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

class Silent final : public RunReporter {
 public:
  void line(const std::string&) override {}
};

}  // namespace

int cmd_search(int argc, const char* const* argv) {
  CLI::App app{"Evolve machine-learning algorithms (regularized evolution or random search) on a config's tasks.",
               "amlz search"};
  Config config;
  ConfigOptions options(app, config, ConfigUse::Search, argc, argv);
  // Under mpirun every rank runs this with the same arguments: rank 0 writes the run directory and all output, the
  // others run their islands (run_experiments keeps them in step with rank 0) and say nothing but their errors.
  std::unique_ptr<dist::ProcessGroup> group;
  try {
    group = dist::join_launched_group();
  } catch (const Error& e) {
    std::cerr << app.get_name() << ": error: " << e.what() << "\n";
    return kExitBadInput;
  }
  // Ranks > 0 name themselves in their messages, and leave the messages about the arguments (help, a mistyped
  // option: the same on every rank) to rank 0.
  std::ostringstream quiet;
  std::streambuf* const stderr_buffer = std::cerr.rdbuf();
  std::streambuf* const stdout_buffer = std::cout.rdbuf();
  if (group && group->rank() > 0) {
    app.name(app.get_name() + " [" + dist::rank_label(group.get()) + "]");
    std::cerr.rdbuf(quiet.rdbuf());
    std::cout.rdbuf(quiet.rdbuf());
  }
  const int processes = group ? group->ranks() : 1;
  bool started = false;  // past the checks of the arguments, which every rank makes alike
  auto search = [&]() -> int {
    std::cerr.rdbuf(stderr_buffer);
    std::cout.rdbuf(stdout_buffer);
    if (app.get_config_ptr()->count() == 0)
      throw ConfigError("--config is required (e.g. configs/linear_regression.toml)");
    options.finish();
    if (config.islands.count < processes)
      throw ConfigError("--islands.count (" + std::to_string(config.islands.count) + ") must be at least the " +
                        "number of processes (" + std::to_string(processes) + "): each runs one island or more");
    started = true;
    // The ranks tell each other how their checks went (their arguments may differ: `mpirun A : B`).
    if (processes > 1) {
      if (const uint64_t refused = group->agree(0, 0).steps; refused > 0) {
        if (group->rank() == 0)
          std::cerr << app.get_name() << ": error: " << refused << " other rank(s) refused their arguments (see "
                    << "above; every rank must be given the same ones)\n";
        return kExitBadInput;
      }
    }
    if (group)
      config.seed = static_cast<uint32_t>(group->broadcast_number(config.seed == 0 ? seed_from_clock() : config.seed));
    if (config.seed == 0) config.seed = seed_from_clock();
    const StopSignals signals;
    if (group && group->rank() > 0) {
      auto evaluator = make_configured_evaluator(config, Precision::Float32, false);
      Silent silent;
      run_experiments(config, *evaluator, silent, RunLimits{&signals.flag()}, group.get());
      return signals.exit_code();
    }
    if (config.out.empty()) config.out = default_run_directory(config.seed);
    auto evaluator = make_configured_evaluator(config);
    if (processes > 1)
      std::cerr << "islands: " << config.islands.count << " over " << processes << " processes (mpirun)\n";
    RunDirectory dir(config.out);
    CliReporter reporter(dir, config.hurdles.enabled);
    RunSummary s;
    try {
      dir.write("config.toml", to_toml(config));
      dir.write("seed.txt", std::to_string(config.seed) + "\n");
      dir.describe_run(app.get_config_ptr()->as<std::string>(), evaluator->describe());
      std::cerr << "run directory: " << printable(dir.path()) << "\n";
      s = run_experiments(config, *evaluator, reporter, RunLimits{&signals.flag()}, group.get());
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
    dir.write("summary.json", summary_json(s, *evaluator, processes));
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
    if (processes > 1 && s.stop == StopReason::Interrupted) {
      std::cerr << "stopped by a stop request (signal) to another rank in the " << enum_name(s.stopped_in)
                << " phase: the run directory holds the progress, the best algorithm so far and the summary\n";
      return kExitFailure;
    }
    return kExitOk;
  };
  const int code = run_app(app, argc, argv, [&] {
    try {
      return search();
    } catch (const std::exception& e) {
      if (!started && processes > 1) {
        // Every rank finds the same fault in the same arguments: rank 0 says it. A rank given other arguments
        // (`mpirun A : B`) says it itself.
        const uint64_t refused = group->agree(1, 0).steps;
        if (group->rank() == 0 || refused < static_cast<uint64_t>(processes))
          std::cerr << app.get_name() << ": error: " << e.what() << "\n";
        return kExitBadInput;
      }
      // Later, the other ranks would wait for this one forever: end the job, saying why. Files written so far stay.
      if (started && processes > 1) {
        std::cerr << app.get_name() << ": error: " << e.what() << " (ending all " << processes << " ranks)\n";
        group->abort(kExitFailure);
      }
      throw;
    }
  });
  std::cerr.rdbuf(stderr_buffer);
  std::cout.rdbuf(stdout_buffer);
  return code;
}

}  // namespace amlz::cli
