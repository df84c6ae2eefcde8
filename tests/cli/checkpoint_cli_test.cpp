// SPDX-License-Identifier: Apache-2.0
// Checkpoint and resume through the real binary: a search SIGKILLed in the middle of an evaluation or in the middle
// of writing a checkpoint resumes from its last good checkpoint (`amlz search --resume DIR`) and finishes with
// exactly the uninterrupted run's result (islands, hurdles and FEC on, two experiments); progress.csv continues
// without duplicate rows; truncated, damaged, foreign, newer-version and missing checkpoints are refused with a
// clear message and leave the previous good one in place.
#include <atomic>
#include <filesystem>
#include <regex>
#include <sstream>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "amlz/search/experiment.h"
#include "cli/cli_common.h"
#include "cli/config_options.h"
#include "cli_util.h"
#include "test_util.h"

namespace amlz {
namespace {

namespace fs = std::filesystem;
using test::expect_contains;
using test::read_file;
using test::shell_quote;
using test::TempDir;

// Linear tasks F = 4, two islands that migrate, hurdles, FEC, two experiments: a few hundred batches.
const char* kConfig = R"(backend = "cpu"
threads = 1

[memory]
scalars = 4
vectors = 3
matrices = 1

[search_tasks]
type = "linear"
features = 4
num_tasks = 5
num_train = 50
num_valid = 20

[select_tasks]
num_tasks = 3
num_train = 100

[final_tasks]
param_seeds = [2000000]
data_seeds = [1000000]

[algorithm]
initial = "random"
setup_ops = ["SCALAR_CONST_SET_OP", "VECTOR_INNER_PRODUCT_OP", "SCALAR_DIFF_OP", "SCALAR_PRODUCT_OP",
             "SCALAR_VECTOR_PRODUCT_OP", "VECTOR_SUM_OP"]
predict_ops = ["SCALAR_CONST_SET_OP", "VECTOR_INNER_PRODUCT_OP", "SCALAR_DIFF_OP", "SCALAR_PRODUCT_OP",
               "SCALAR_VECTOR_PRODUCT_OP", "VECTOR_SUM_OP"]
learn_ops = ["SCALAR_CONST_SET_OP", "VECTOR_INNER_PRODUCT_OP", "SCALAR_DIFF_OP", "SCALAR_PRODUCT_OP",
             "SCALAR_VECTOR_PRODUCT_OP", "VECTOR_SUM_OP"]
setup_size = 4
predict_size = 1
learn_size = 3

[evolution]
population_size = 20
tournament_size = 5
batch_size = 4
max_train_steps = 60000
progress_every = 40

[fec]
enabled = true
cache_size = 500
forget_every = 5

[islands]
count = 2
migrate_every = 20

[hurdles]
enabled = true

[experiment]
max_experiments = 2
)";

struct Proc {
  int exit_code = -1;
  std::string out, err;
};

// `amlz <args>` with `env` (VAR=value ...) in front; a process killed by a signal reports 128 + its number.
Proc amlz(const std::string& args, const std::string& env = "") {
  const TempDir io("amlz_ckpt_io");
  const std::string out = io.path("out").string(), err = io.path("err").string();
  const test::ShellResult r = test::run_shell(env + " " + shell_quote(AMLZ_BINARY) + " " + args + " >" +
                                              shell_quote(out) + " 2>" + shell_quote(err) + "; echo $?");
  return {std::stoi(r.out), read_file(out), read_file(err)};
}

std::string search_args(const std::string& config, const fs::path& run, int seed = 5) {
  return "search --config " + shell_quote(config) + " --seed " + std::to_string(seed) + " --out " +
         shell_quote(run.string());
}

std::string resume_args(const fs::path& run) { return "search --resume " + shell_quote(run.string()); }

// summary.json without its clock reading.
std::string summary_without_seconds(const fs::path& run) {
  return std::regex_replace(read_file(run / "summary.json"), std::regex("\"seconds\":[^,]*,"), "");
}

// The experiment and individuals columns of progress.csv: what a row is about, without its clock.
std::vector<std::string> progress_rows(const fs::path& run) {
  std::vector<std::string> rows;
  std::istringstream is(read_file(run / "progress.csv"));
  std::string line;
  while (std::getline(is, line)) rows.push_back(line.substr(0, line.find(',', line.find(',') + 1)));
  return rows;
}

// best_history.csv without its clock columns (elapsed_s, run_elapsed_s).
std::vector<std::string> best_rows(const fs::path& run) {
  std::vector<std::string> rows;
  std::istringstream is(read_file(run / "best_history.csv"));
  std::string line;
  while (std::getline(is, line)) {
    std::vector<std::string> cells;
    std::istringstream cs(line);
    std::string cell;
    while (std::getline(cs, cell, ',')) cells.push_back(cell);
    if (cells.size() > 4) cells.erase(cells.begin() + 4), cells.erase(cells.begin() + 2);
    std::string kept;
    for (const std::string& c : cells) kept += c + ",";
    rows.push_back(kept);
  }
  return rows;
}

// The line of `text` that starts with `prefix`, or "".
std::string line_with(const std::string& text, const std::string& prefix) {
  const size_t at = text.find(prefix);
  return at == std::string::npos ? "" : text.substr(at, text.find('\n', at) - at);
}

class CheckpointCli : public ::testing::Test {
 protected:
  void SetUp() override {
    config_ = dir_.write("config.toml", kConfig);
    const Proc r = amlz(search_args(config_, full()));
    ASSERT_EQ(r.exit_code, 0) << r.err;
    full_out_ = r.out;
    ASSERT_TRUE(fs::exists(full() / "checkpoint"));  // the finished marker
  }
  fs::path full() const { return dir_.path("full"); }

  // Both runs' results are the same, progress.csv has the same rows (none twice), the same lines were printed.
  void expect_uninterrupted_result(const fs::path& run, const Proc& resumed) {
    EXPECT_EQ(summary_without_seconds(run), summary_without_seconds(full()));
    EXPECT_EQ(read_file(run / "best_algorithm.txt"), read_file(full() / "best_algorithm.txt"));
    EXPECT_EQ(progress_rows(run), progress_rows(full()));
    EXPECT_EQ(best_rows(run), best_rows(full()));
    EXPECT_EQ(line_with(resumed.out, "Final evaluation fitness"), line_with(full_out_, "Final evaluation fitness"));
  }

  // A run killed by the test hook `env` (exit 137), with a checkpoint at every batch.
  fs::path killed_run(const std::string& name, const std::string& env) {
    const fs::path run = dir_.path(name);
    const Proc r = amlz(search_args(config_, run) + " --checkpoint-every 1e-9", env);
    EXPECT_EQ(r.exit_code, 137) << "the hook did not kill the run: " << r.err;
    EXPECT_FALSE(fs::exists(run / "summary.json"));
    return run;
  }

  TempDir dir_{"amlz_ckpt"};
  std::string config_, full_out_;
};

TEST_F(CheckpointCli, KilledInTheMiddleOfAnEvaluationResumesToTheUninterruptedResult) {
  // Backend calls (of about 770): in the first experiment's initial population, in its select evaluation, in the
  // second experiment's search, in the final evaluation.
  for (int kill_at : {40, 402, 600, 765}) {
    SCOPED_TRACE("killed at backend call " + std::to_string(kill_at));
    const fs::path run =
        killed_run("killed" + std::to_string(kill_at), "AMLZ_TEST_KILL_IN_EVALUATION=" + std::to_string(kill_at));
    ASSERT_TRUE(fs::exists(run / "checkpoint"));
    const Proc resumed = amlz(resume_args(run));
    ASSERT_EQ(resumed.exit_code, 0) << resumed.err;
    expect_contains(resumed.err, "resuming run directory");
    expect_uninterrupted_result(run, resumed);
    // Resuming a finished run does nothing and says so.
    const std::string summary = read_file(run / "summary.json");
    const Proc again = amlz(resume_args(run));
    EXPECT_EQ(again.exit_code, 0);
    expect_contains(again.err, "has already finished");
    EXPECT_EQ(read_file(run / "summary.json"), summary);
  }
}

TEST_F(CheckpointCli, StoppedBySigtermResumesToTheUninterruptedResult) {
  // A budget of a couple of seconds; no periodic checkpoint: the one written at the stop is all there is.
  std::string text = kConfig;
  text.replace(text.find("max_train_steps = 60000"), 23, "max_train_steps = 8000000");
  const std::string config = dir_.write("long.toml", text);
  const fs::path full_run = dir_.path("long_full"), run = dir_.path("long_stopped");
  const Proc full = amlz(search_args(config, full_run));
  ASSERT_EQ(full.exit_code, 0) << full.err;
  // In the background; SIGTERM once progress.csv has a data row (the search is running).
  const std::string progress = shell_quote((run / "progress.csv").string());
  const test::ShellResult r = test::run_shell(shell_quote(AMLZ_BINARY) + " " + search_args(config, run) +
                                              " >/dev/null 2>&1 & pid=$!; n=0; " + "while [ \"$(cat " + progress +
                                              " 2>/dev/null | wc -l)\" -lt 2 ] && [ $n -lt 600 ]; do sleep 0.05; " +
                                              "n=$((n+1)); done; kill -TERM $pid; wait $pid; echo $?");
  ASSERT_EQ(std::stoi(r.out), 143) << "not stopped by SIGTERM (finished first?)";
  ASSERT_TRUE(fs::exists(run / "checkpoint"));
  EXPECT_FALSE(fs::exists(run / "checkpoint.prev"));
  expect_contains(read_file(run / "summary.json"), "\"stop\":\"interrupted\"");
  const Proc resumed = amlz(resume_args(run));
  ASSERT_EQ(resumed.exit_code, 0) << resumed.err;
  EXPECT_EQ(summary_without_seconds(run), summary_without_seconds(full_run));
  EXPECT_EQ(read_file(run / "best_algorithm.txt"), read_file(full_run / "best_algorithm.txt"));
  EXPECT_EQ(progress_rows(run), progress_rows(full_run));
  EXPECT_EQ(best_rows(run), best_rows(full_run));
}

TEST_F(CheckpointCli, KilledInTheMiddleOfACheckpointWriteResumesFromThePreviousOne) {
  const fs::path run = killed_run("torn", "AMLZ_TEST_KILL_IN_CHECKPOINT=60");
  // The torn write is the temporary file; the last good checkpoint is whole.
  ASSERT_TRUE(fs::exists(run / ".checkpoint.tmp"));
  EXPECT_LT(fs::file_size(run / ".checkpoint.tmp"), fs::file_size(run / "checkpoint"));
  const Proc resumed = amlz(resume_args(run));
  ASSERT_EQ(resumed.exit_code, 0) << resumed.err;
  expect_uninterrupted_result(run, resumed);
  EXPECT_FALSE(fs::exists(run / ".checkpoint.tmp"));
}

TEST_F(CheckpointCli, ADamagedNewestCheckpointFallsBackToThePreviousOne) {
  const fs::path run = killed_run("damaged", "AMLZ_TEST_KILL_IN_EVALUATION=300");
  const std::string prev = read_file(run / "checkpoint.prev");
  std::string bytes = read_file(run / "checkpoint");
  bytes.resize(bytes.size() - 10);
  std::ofstream(run / "checkpoint", std::ios::binary | std::ios::trunc) << bytes;
  const Proc resumed = amlz(resume_args(run));
  ASSERT_EQ(resumed.exit_code, 0) << resumed.err;
  expect_contains(resumed.err, "checkpoint' is truncated");
  expect_contains(resumed.err, "resuming from the previous checkpoint");
  expect_uninterrupted_result(run, resumed);
}

TEST_F(CheckpointCli, BadCheckpointsAreRefusedAndTheGoodOneIsKept) {
  const fs::path run = killed_run("bad", "AMLZ_TEST_KILL_IN_EVALUATION=300");
  const std::string good = read_file(run / "checkpoint"), prev = read_file(run / "checkpoint.prev");
  const std::string progress = read_file(run / "progress.csv");
  auto put = [&](const std::string& main, const std::string& previous) {
    std::ofstream(run / "checkpoint", std::ios::binary | std::ios::trunc) << main;
    std::ofstream(run / "checkpoint.prev", std::ios::binary | std::ios::trunc) << previous;
  };
  auto refused = [&](const std::string& why, const std::string& expected) {
    SCOPED_TRACE(why);
    const std::string before = read_file(run / "checkpoint"), before_prev = read_file(run / "checkpoint.prev");
    const Proc r = amlz(resume_args(run));
    EXPECT_EQ(r.exit_code, 2) << r.err;
    expect_contains(r.err, expected);
    // Nothing was touched: the checkpoints and the progress are as they were.
    EXPECT_EQ(read_file(run / "checkpoint"), before);
    EXPECT_EQ(read_file(run / "checkpoint.prev"), before_prev);
    EXPECT_EQ(read_file(run / "progress.csv"), progress);
  };
  std::string flipped = good;
  flipped[flipped.size() / 2] ^= 0x20;
  put(flipped, prev.substr(0, 20));
  refused("damaged, previous truncated", "is damaged (checksum mismatch); the previous one too");
  put(good.substr(0, good.size() / 2), flipped);
  refused("truncated, previous damaged", "is truncated");
  std::string newer = good;
  newer[8] = 2;  // the format version
  put(newer, prev);
  refused("newer version", "has format version 2, newer than this amlz reads (1)");
  put("seed = 5\n", prev);
  refused("not a checkpoint", "is not an amlz checkpoint");
  // Another run's checkpoint (another seed).
  const fs::path other = dir_.path("other");
  ASSERT_EQ(
      amlz(search_args(config_, other, 6) + " --checkpoint-every 1e-9", "AMLZ_TEST_KILL_IN_EVALUATION=100").exit_code,
      137);
  put(read_file(other / "checkpoint"), prev);
  refused("foreign", "belongs to another run (seed 6");
  fs::remove(run / "checkpoint");
  fs::remove(run / "checkpoint.prev");
  std::ofstream(run / "checkpoint.prev");  // an empty file: no checkpoint to fall back on either
  refused("missing", "checkpoint.prev' is truncated");
  fs::remove(run / "checkpoint.prev");
  const Proc none = amlz(resume_args(run));
  EXPECT_EQ(none.exit_code, 2);
  expect_contains(none.err, "no checkpoint in");
  // With the good one back, the run resumes.
  put(good, prev);
  const Proc resumed = amlz(resume_args(run));
  EXPECT_EQ(resumed.exit_code, 0) << resumed.err;
}

TEST_F(CheckpointCli, ResumeTakesNoFlagThatWouldChangeTheRun) {
  const fs::path run = killed_run("flags", "AMLZ_TEST_KILL_IN_EVALUATION=100");
  for (const char* flag : {" --seed 3", " --config x.toml", " --evolution.population_size=5", " --out y"}) {
    const Proc r = amlz(resume_args(run) + flag);
    EXPECT_EQ(r.exit_code, 2) << flag;
    expect_contains(r.err, "cannot be combined with --resume");
  }
  const Proc bad_value = amlz(resume_args(run) + " --checkpoint-every -1");
  EXPECT_EQ(bad_value.exit_code, 2);
  const Proc not_a_run = amlz(resume_args(dir_.path("nothing")));
  EXPECT_EQ(not_a_run.exit_code, 2);
  expect_contains(not_a_run.err, "is not a directory");
  // The operational ones are fine.
  const Proc ok = amlz(resume_args(run) + " --threads 1 --checkpoint-every 0");
  EXPECT_EQ(ok.exit_code, 0) << ok.err;
  EXPECT_EQ(summary_without_seconds(run), summary_without_seconds(full()));
}

// In process: a stop request while the select or final tasks are built (after the search reached its budget) saves
// the state at the end of that experiment's search; the run resumed from it ends as the uninterrupted one.
class StopWhileBuilding final : public RunReporter {
 public:
  StopWhileBuilding(Phase phase, int experiment) : phase_(phase), experiment_(experiment) {}
  void line(const std::string&) override {}
  void experiment_started(int experiment) override { current_ = experiment; }
  void building_tasks(Phase phase, size_t, size_t) override {
    if (phase == phase_ && current_ == experiment_) stop.store(true);
  }
  std::atomic<bool> stop{false};

 private:
  Phase phase_;
  int experiment_, current_ = 0;
};

class KeepStops final : public CheckpointSink {
 public:
  bool due(CheckpointMoment moment) override { return moment == CheckpointMoment::Stop; }
  void save(std::string state, CheckpointMoment moment) override {
    EXPECT_EQ(moment, CheckpointMoment::Stop);
    states.push_back(std::move(state));
  }
  std::vector<std::string> states;
};

TEST(CheckpointRun, AStopAfterTheSearchResumesFromTheEndOfThatSearch) {
  const TempDir dir("amlz_ckpt_run");
  Config config = cli::load_config({"--config", dir.write("c.toml", kConfig), "--seed", "5"}, ConfigUse::Search);
  auto evaluator = cli::make_configured_evaluator(config, Precision::Float32, false);
  StopWhileBuilding never(Phase::Done, 0);
  const RunSummary full = run_experiments(config, *evaluator, never);
  ASSERT_TRUE(full.final_done);
  for (const auto& [phase, experiment] : {std::pair{Phase::Select, 1}, {Phase::Select, 2}, {Phase::Final, 2}}) {
    SCOPED_TRACE(std::string("stopped in ") + enum_name(phase) + " of experiment " + std::to_string(experiment));
    StopWhileBuilding stopper(phase, experiment);
    KeepStops kept;
    const RunSummary stopped = run_experiments(config, *evaluator, stopper, RunLimits{&stopper.stop}, {&kept});
    EXPECT_EQ(stopped.stop, StopReason::Interrupted);
    EXPECT_EQ(stopped.stopped_in, phase);
    ASSERT_EQ(kept.states.size(), 1u);
    const RunCheckpoint state = decode_run_checkpoint(kept.states[0]);
    EXPECT_EQ(state.experiment, experiment);
    StopWhileBuilding quiet(Phase::Done, 0);
    KeepStops none;
    const RunSummary resumed = run_experiments(config, *evaluator, quiet, {}, {&none, &state});
    EXPECT_TRUE(none.states.empty());
    EXPECT_EQ(resumed.best, full.best);
    EXPECT_EQ(resumed.best_search_fitness, full.best_search_fitness);
    EXPECT_EQ(resumed.best_select_fitness, full.best_select_fitness);
    EXPECT_EQ(resumed.final_fitness, full.final_fitness);
    EXPECT_TRUE(resumed.final_done);
    EXPECT_EQ(resumed.experiments, full.experiments);
    EXPECT_EQ(resumed.individuals, full.individuals);
    EXPECT_EQ(resumed.train_steps, full.train_steps);
    EXPECT_EQ(resumed.steps_avoided, full.steps_avoided);
    EXPECT_EQ(resumed.fec_hits, full.fec_hits);
    EXPECT_EQ(resumed.fec_lookups, full.fec_lookups);
  }
}

}  // namespace
}  // namespace amlz
