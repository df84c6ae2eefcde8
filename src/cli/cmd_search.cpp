// SPDX-License-Identifier: Apache-2.0
// `amlz search`: evolve algorithms from a config, print progress as the original did (plus throughput), write a
// run directory, and finish with the discovered algorithm. SIGINT, SIGTERM and SIGHUP stop any phase cleanly (exit
// 128 + signal); a closed stdout ends the run the same way (exit 141); the run directory is complete either way.
#include <algorithm>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <sstream>
#include <unistd.h>

#include "amlz/core/algorithm_text.h"
#include "amlz/error.h"
#include "amlz/search/experiment.h"
#include "cli/checkpoint_file.h"
#include "cli/cli_common.h"
#include "cli/commands.h"
#include "cli/config_options.h"
#include "cli/json.h"
#include "cli/output.h"
#include "cli/run_directory.h"
#include "cli/search_reporter.h"
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

// AMLZ_TEST_KILL_IN_EVALUATION=N (a test hook, like AMLZ_TEST_KILL_IN_CHECKPOINT): the process SIGKILLs itself
// at the start of its N-th call to the backend, as a crash in the middle of evaluating a batch would.
class KillingEvaluator final : public Evaluator {
 public:
  KillingEvaluator(std::unique_ptr<Evaluator> inner, long kill_at) : inner_(std::move(inner)), kill_at_(kill_at) {}
  Backend backend() const override { return inner_->backend(); }
  std::string describe() const override { return inner_->describe(); }
  std::vector<TaskResult> evaluate(const ProgramBatch& batch, const TaskSet& tasks, const std::vector<WorkItem>& items,
                                   const EvalRequest& request) override {
    if (++calls_ == kill_at_) std::raise(SIGKILL);
    return inner_->evaluate(batch, tasks, items, request);
  }

 private:
  std::unique_ptr<Evaluator> inner_;
  long kill_at_;
  long calls_ = 0;
};

std::unique_ptr<Evaluator> with_test_hooks(std::unique_ptr<Evaluator> evaluator) {
  const char* kill = std::getenv("AMLZ_TEST_KILL_IN_EVALUATION");
  if (kill == nullptr) return evaluator;
  return std::make_unique<KillingEvaluator>(std::move(evaluator), std::strtol(kill, nullptr, 10));
}

// After the experiments, new or resumed run alike: the algorithm found, summary.json, the plot, and a checkpoint
// saying the run is finished unless it was stopped early.
int report_run(const Config& config, const RunSummary& s, const Evaluator& evaluator, RunDirectory& dir,
               SearchReporter& reporter, const StopSignals& signals, CheckpointFiles& checkpoints, int processes) {
  if (s.experiments > 0 && s.individuals > 0) {
    reporter.line("Algorithm found: ");
    const std::string text = to_text(s.best);
    print_line(text.substr(0, text.size() - 1));  // print_line adds the last newline
    dir.write_best(s.best, "best algorithm: search fitness " + fixed6(s.best_search_fitness) + ", select fitness " +
                               fixed6(s.best_select_fitness) + ", final fitness " +
                               (s.final_done ? fixed6(s.final_fitness) : std::string("not evaluated")) + " (seed " +
                               std::to_string(s.seed) + ")");
  }
  dir.write("summary.json", summary_json(s, evaluator, processes));
  dir.write_plot();  // after the summary: the plot's title shows the outcome
  // Each message in one write: under mpirun, other ranks' lines would land inside a message written in pieces.
  std::string done = "run directory: " + printable(dir.path()) + " (" + std::to_string(s.individuals) +
                     " individuals, " + format_si(static_cast<double>(s.train_steps)) + " train steps in " +
                     fixed6(s.seconds) + " s";
  if (config.fec.enabled)
    done += "; FEC " + std::to_string(s.fec_hits) + " hits, " + std::to_string(s.fec_lookups - s.fec_hits) + " misses";
  write_line(std::cerr, done + ")");
  if (s.stop == StopReason::TimeLimit && s.stopped_in != Phase::Search)
    write_line(std::cerr, "time limit: the " + std::string(enum_name(s.stopped_in)) + " evaluation was cut short");
  const std::string kept = " phase: the run directory holds the progress, the best algorithm so far and the summary; ";
  if (signals.signal() != 0 || signals.output_failed()) {
    write_line(std::cerr, "stopped by " +
                              (signals.output_failed() ? std::string("standard output failing")
                                                       : "signal " + std::to_string(signals.signal())) +
                              " in the " + enum_name(s.stopped_in) + kept + "`amlz search --resume " +
                              printable(dir.path()) + "` continues it");
    return signals.exit_code() != 0 ? signals.exit_code() : kExitFailure;  // run_app says what stdout did
  }
  if (processes > 1 && s.stop == StopReason::Interrupted) {
    write_line(std::cerr, "stopped by a stop request (signal) to another rank in the " +
                              std::string(enum_name(s.stopped_in)) + kept + "`mpirun ... amlz search --resume " +
                              printable(dir.path()) + "` continues it");
    return kExitFailure;
  }
  checkpoints.finish();
  return kExitOk;
}

std::string read_text(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw Error("cannot read '" + printable(path) + "'");
  std::ostringstream os;
  os << in.rdbuf();
  return os.str();
}

// The flags --resume goes with; every other one would change the run it continues.
bool allowed_with_resume(const std::string& arg) {
  if (arg.rfind("--", 0) != 0) return true;  // a value
  std::string key = arg.substr(2, arg.find('=') == std::string::npos ? std::string::npos : arg.find('=') - 2);
  std::replace(key.begin(), key.end(), '-', '_');
  return key == "resume" || key == "threads" || key == "checkpoint_every" || key == "quiet" || key == "help";
}

bool wants_resume(int argc, const char* const* argv) {
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    if (a == "--resume" || a.rfind("--resume=", 0) == 0) return true;
  }
  return false;
}

class Silent final : public RunReporter {
 public:
  void line(const std::string&) override {}
};

// Under mpirun every rank runs a search command with the same arguments: rank 0 writes the run directory and all
// output, the others run their islands (run_experiments keeps them in step with rank 0) and say nothing but their
// errors. `body(group, started)` is the command once its arguments are parsed (group: nullptr for one process); it
// sets `started` once past the checks of its arguments, which every rank makes alike. An error before that is
// reported once (by rank 0); after it, the other ranks would wait for this one forever, so the job ends through
// MPI's abort, saying why; files written so far stay.
template <class Body>
int run_on_every_rank(CLI::App& app, int argc, const char* const* argv, Body body) {
  std::unique_ptr<dist::ProcessGroup> group;
  try {
    group = dist::join_launched_group();
  } catch (const Error& e) {
    print_error(app.get_name(), e.what());
    return kExitBadInput;
  }
  // Ranks > 0 name themselves in their messages, and leave the messages about the arguments (help, a mistyped
  // option: the same on every rank) to rank 0.
  std::ostringstream muted;
  std::streambuf* const stderr_buffer = std::cerr.rdbuf();
  std::streambuf* const stdout_buffer = std::cout.rdbuf();
  if (group && group->rank() > 0) {
    app.name(app.get_name() + " [" + dist::rank_label(group.get()) + "]");
    std::cerr.rdbuf(muted.rdbuf());
    std::cout.rdbuf(muted.rdbuf());
  }
  const int processes = group ? group->ranks() : 1;
  bool started = false;
  const int code = run_app(app, argc, argv, [&] {
    std::cerr.rdbuf(stderr_buffer);
    std::cout.rdbuf(stdout_buffer);
    try {
      return body(group.get(), started);
    } catch (const std::exception& e) {
      if (!started && processes > 1) {
        // Every rank finds the same fault in the same arguments: rank 0 says it. A rank given other arguments
        // (`mpirun A : B`) says it itself.
        const uint64_t refused = group->agree(1, 0).steps;
        if (group->rank() == 0 || refused < static_cast<uint64_t>(processes)) print_error(app.get_name(), e.what());
        return kExitBadInput;
      }
      if (started && processes > 1) {
        print_error(app.get_name(), e.what(), " (ending all " + std::to_string(processes) + " ranks)");
        group->abort(kExitFailure);
      }
      throw;
    }
  });
  std::cerr.rdbuf(stderr_buffer);
  std::cout.rdbuf(stdout_buffer);
  return code;
}

// Past its own checks, a rank learns whether every other rank accepted its arguments too (they may differ:
// `mpirun A : B`); false: some did not (rank 0 says so), and the command ends with kExitBadInput.
bool every_rank_accepted(dist::ProcessGroup* group, const CLI::App& app) {
  if (group == nullptr || group->ranks() == 1) return true;
  const uint64_t refused = group->agree(0, 0).steps;
  if (refused == 0) return true;
  if (group->rank() == 0)
    print_error(app.get_name(), std::to_string(refused) +
                                    " other rank(s) refused their arguments (see above; every rank must be given "
                                    "the same ones)");
  return false;
}

// `amlz search --resume DIR [--threads N] [--checkpoint-every S]`.
int cmd_resume(int argc, const char* const* argv) {
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    if (a != "-h" && a != "-q" && !allowed_with_resume(a)) {
      std::cerr << "amlz search: error: " << printable(a.substr(0, a.find('=')))
                << " cannot be combined with --resume: a resumed run keeps the config it started with (its run "
                << "directory's config.toml); only --threads, --checkpoint-every and --quiet may be given\n";
      return kExitBadInput;
    }
  }
  CLI::App app{"Continue a search that was stopped or killed, from the checkpoint in its run directory.",
               "amlz search"};
  std::string dir, threads, every;
  bool quiet = false;
  app.add_flag("--quiet,-q", quiet, "No live status line on stderr");
  app.add_option("--resume", dir, "the run directory of the search to continue")->required()->type_name("DIR");
  app.add_option("--threads", threads, "CPU evaluator threads (0: all cores)")->type_name("INT");
  app.add_option("--checkpoint-every,--checkpoint_every", every,
                 "seconds between checkpoints (0: only when a signal stops the run)")
      ->type_name("REAL");
  return run_on_every_rank(app, argc, argv, [&](dist::ProcessGroup* group, bool& started) -> int {
    namespace fs = std::filesystem;
    const bool leader = group == nullptr || group->rank() == 0;
    std::error_code ec;
    while (dir.size() > 1 && dir.back() == '/') dir.pop_back();
    if (!fs::is_directory(dir, ec)) throw Error("--resume: '" + printable(dir) + "' is not a directory");
    const std::string config_path = dir + "/config.toml";
    if (!fs::exists(config_path, ec))
      throw Error("--resume: '" + printable(dir) + "' is not an amlz run directory (it has no config.toml)");
    const std::string config_text = read_text(config_path);
    std::vector<std::string> args = {"--config", config_path};
    if (!threads.empty()) args.insert(args.end(), {"--threads", threads});
    if (!every.empty()) args.insert(args.end(), {"--checkpoint-every", every});
    Config config = load_config(args, ConfigUse::Search);
    config.out = dir;

    // The newest good checkpoint: DIR/checkpoint, or DIR/checkpoint.prev when a crash or damage took the newest.
    const std::string main_path = dir + "/checkpoint", prev_path = dir + "/checkpoint.prev";
    CheckpointRead read = read_checkpoint_file(main_path);
    bool main_good = read.problem == CheckpointProblem::None;
    if (read.problem == CheckpointProblem::Missing || read.problem == CheckpointProblem::Truncated ||
        read.problem == CheckpointProblem::Damaged) {
      CheckpointRead prev = read_checkpoint_file(prev_path);
      if (prev.problem == CheckpointProblem::None) {
        if (leader)
          std::cerr << "amlz search: " << read.message << "; resuming from the previous checkpoint, '"
                    << printable(prev_path) << "'\n";
        read = std::move(prev);
      } else if (read.problem == CheckpointProblem::Missing && prev.problem == CheckpointProblem::Missing) {
        throw Error("--resume: no checkpoint in '" + printable(dir) +
                    "' (a run writes one every checkpoint_every seconds and when it is stopped early)");
      } else {
        throw Error("--resume: " + read.message +
                    (prev.problem == CheckpointProblem::Missing ? "" : "; the previous one too: " + prev.message));
      }
    } else if (read.problem != CheckpointProblem::None) {
      throw Error("--resume: " + read.message);
    }
    const CheckpointHeader expected = checkpoint_header_for(config.seed, config_text);
    const CheckpointHeader& got = read.contents.header;
    if (got.seed != expected.seed || got.config_crc != expected.config_crc || got.config_size != expected.config_size)
      throw Error("--resume: the checkpoint in '" + printable(dir) + "' belongs to another run (seed " +
                  std::to_string(got.seed) + " and a config of " + std::to_string(got.config_size) +
                  " bytes; this directory's config.toml has seed " + std::to_string(config.seed) + " and " +
                  std::to_string(expected.config_size) + " bytes" +
                  (got.config_size == expected.config_size ? ", other contents" : "") + ")");
    started = true;
    if (!every_rank_accepted(group, app)) return kExitBadInput;
    if (got.finished) {
      if (leader)
        std::cerr << "amlz search: the run in '" << printable(dir)
                  << "' has already finished (its results are in summary.json); nothing to resume\n";
      return kExitOk;
    }
    RunDirectory::State dir_state;
    std::string run_bytes;
    decode_checkpoint_payload(read.contents.payload, dir_state, run_bytes);
    const RunCheckpoint resume = decode_run_checkpoint(run_bytes);
    const StopSignals signals;
    if (!leader) {  // every rank resumes its islands from the same state; rank 0 alone writes
      auto evaluator = with_test_hooks(make_configured_evaluator(config, Precision::Float32, false));
      Silent silent;
      run_experiments(config, *evaluator, silent, RunLimits{&signals.flag()}, {nullptr, &resume}, group);
      return signals.exit_code();
    }
    fs::remove(dir + "/.checkpoint.tmp", ec);  // a write a crash cut short
    auto evaluator = with_test_hooks(make_configured_evaluator(config));
    RunDirectory rd(dir, dir_state);
    rd.set_labels(config.memory.labels);
    CheckpointFiles checkpoints(rd, expected, config.checkpoint_every, main_good);
    SearchReporter reporter(rd, config, {quiet, isatty(STDERR_FILENO) == 1});
    write_line(std::cerr, "resuming run directory: " + printable(rd.path()) + " (experiment " +
                              std::to_string(resume.experiment) + ", " + fixed6(resume.seconds) + " s run so far)");
    const RunSummary s =
        run_experiments(config, *evaluator, reporter, RunLimits{&signals.flag()}, {&checkpoints, &resume}, group);
    return report_run(config, s, *evaluator, rd, reporter, signals, checkpoints, group ? group->ranks() : 1);
  });
}

}  // namespace

int cmd_search(int argc, const char* const* argv) {
  if (wants_resume(argc, argv)) return cmd_resume(argc, argv);
  CLI::App app{"Evolve machine-learning algorithms (regularized evolution or random search) on a config's tasks.",
               "amlz search"};
  Config config;
  ConfigOptions options(app, config, ConfigUse::Search, argc, argv);
  bool quiet = false;
  app.add_flag("--quiet,-q", quiet, "No live status line on stderr (stdout and the run directory are unchanged)");
  std::string resume_help;
  app.add_option("--resume", resume_help,
                 "continue the stopped or killed run in DIR from its checkpoint (alone, or with --threads, "
                 "--checkpoint-every, --quiet)")
      ->type_name("DIR");
  return run_on_every_rank(app, argc, argv, [&](dist::ProcessGroup* group, bool& started) -> int {
    const int processes = group ? group->ranks() : 1;
    if (app.get_config_ptr()->count() == 0)
      throw ConfigError("--config is required (e.g. configs/linear_regression.toml)");
    options.finish();
    if (config.islands.count < processes)
      throw ConfigError("--islands.count (" + std::to_string(config.islands.count) + ") must be at least the " +
                        "number of processes (" + std::to_string(processes) + "): each runs one island or more");
    started = true;
    if (!every_rank_accepted(group, app)) return kExitBadInput;
    if (group)
      config.seed = static_cast<uint32_t>(group->broadcast_number(config.seed == 0 ? seed_from_clock() : config.seed));
    if (config.seed == 0) config.seed = seed_from_clock();
    const StopSignals signals;
    if (group && group->rank() > 0) {
      auto evaluator = with_test_hooks(make_configured_evaluator(config, Precision::Float32, false));
      Silent silent;
      run_experiments(config, *evaluator, silent, RunLimits{&signals.flag()}, {}, group);
      return signals.exit_code();
    }
    if (config.out.empty()) config.out = default_run_directory(config.seed);
    auto evaluator = with_test_hooks(make_configured_evaluator(config));
    if (processes > 1)
      std::cerr << "islands: " << config.islands.count << " over " << processes << " processes (mpirun)\n";
    RunDirectory dir(config.out);
    dir.set_labels(config.memory.labels);
    const std::string config_text = to_toml(config);
    CheckpointFiles checkpoints(dir, checkpoint_header_for(config.seed, config_text), config.checkpoint_every, false);
    SearchReporter reporter(dir, config, {quiet, isatty(STDERR_FILENO) == 1});
    RunSummary s;
    try {
      dir.write("config.toml", config_text);
      dir.write("seed.txt", std::to_string(config.seed) + "\n");
      dir.describe_run(app.get_config_ptr()->as<std::string>(), evaluator->describe());
      std::cerr << "run directory: " << printable(dir.path()) << "\n";
      s = run_experiments(config, *evaluator, reporter, RunLimits{&signals.flag()}, {&checkpoints, nullptr}, group);
    } catch (...) {
      // A run that failed before anything was evaluated leaves nothing behind; one that ran keeps its files.
      if (s.individuals == 0 && !dir.has_progress()) dir.discard();
      throw;
    }
    return report_run(config, s, *evaluator, dir, reporter, signals, checkpoints, processes);
  });
}

}  // namespace amlz::cli
