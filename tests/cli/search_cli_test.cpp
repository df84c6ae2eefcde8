// SPDX-License-Identifier: Apache-2.0
// `amlz search` end to end through the real binary: what it prints (the original's lines, spec §11.3-11.4), the
// run directory it writes and that other commands read back, determinism for a seed, exit codes for bad input,
// and a clean stop on Ctrl-C (exit 130 with a readable run directory).
#include <chrono>
#include <cstdio>
#include <fcntl.h>
#include <filesystem>
#include <fstream>
#include <regex>
#include <signal.h>
#include <sstream>
#include <string>
#include <sys/wait.h>
#include <thread>
#include <unistd.h>
#include <vector>

#include "cli_util.h"
#include "test_util.h"

namespace amlz {
namespace {

namespace fs = std::filesystem;

using test::expect_contains;
using test::read_file;
using test::shell_quote;
using test::TempDir;

std::vector<std::string> lines_of(const std::string& text) {
  std::vector<std::string> v;
  std::istringstream is(text);
  std::string line;
  while (std::getline(is, line)) v.push_back(line);
  return v;
}

// Runs `amlz <args>` and captures stdout and stderr separately (stdout is what must be reproducible).
test::CommandResult amlz(const std::string& args) { return test::run_amlz(args); }

// Linear tasks F = 4 with the demo's ops, P = 20 and a budget of a few generations: well under a second.
const char* kSmallConfig = R"(# search_cli_test
backend = "cpu"
threads = 1

[memory]
scalars = 4
vectors = 3
matrices = 1

[search_tasks]
type = "linear"
features = 4
num_tasks = 2
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
num_train = 10
num_valid = 10

[experiment]
max_experiments = 1
)";

// stdout without the fields that depend on the clock: elapsed seconds and the throughput rates.
std::string without_timing(const std::string& out) {
  std::string s = std::regex_replace(out, std::regex("elapsed_secs=[0-9]+"), "elapsed_secs=T");
  s = std::regex_replace(s, std::regex("indivs/s=[^,]*"), "indivs/s=R");
  return std::regex_replace(s, std::regex("train steps/s=[^,]*"), "train steps/s=R");
}

// The value printed after `prefix` on its line, or "" with a failure.
std::string value_after(const std::string& out, const std::string& prefix) {
  for (const std::string& l : lines_of(out))
    if (l.rfind(prefix, 0) == 0) return l.substr(prefix.size());
  ADD_FAILURE() << "no line starting with '" << prefix << "' in:\n" << out;
  return "";
}

// The algorithm text printed after "Algorithm found: ".
std::string printed_algorithm(const std::string& out) {
  const std::string marker = "Algorithm found: \n";
  const size_t at = out.find(marker);
  if (at == std::string::npos) {
    ADD_FAILURE() << "no 'Algorithm found:' in:\n" << out;
    return "";
  }
  return out.substr(at + marker.size());
}

std::vector<std::string> progress_lines(const std::string& out) {
  std::vector<std::string> v;
  for (const std::string& l : lines_of(out))
    if (l.rfind("indivs=", 0) == 0) v.push_back(l);
  return v;
}

std::string run_args(const std::string& config, const fs::path& out, const std::string& seed = "5") {
  return "search --config " + shell_quote(config) + (seed.empty() ? "" : " --seed " + seed) + " --out " +
         shell_quote(out.string());
}

TEST(SearchCli, PrintsTheOriginalsLinesAndTheAlgorithmFound) {
  const TempDir dir;
  const std::string config = dir.write("small.toml", kSmallConfig);
  const test::CommandResult r = amlz(run_args(config, dir.path("run")));
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_EQ(r.out.rfind("Random seed = 5\n", 0), 0u) << r.out;
  expect_contains(r.out, "Running evolution experiment (on the T_search tasks)...\n");
  // The first progress line comes after the P = 20 initial individuals (spec §11.4), in fixed 6-decimal notation.
  const auto progress = progress_lines(r.out);
  ASSERT_GE(progress.size(), 2u) << r.out;
  EXPECT_TRUE(std::regex_search(progress[0], std::regex("^indivs=20, elapsed_secs=[0-9]+, mean=[01]\\.[0-9]{6}, "
                                                        "stdev=[01]\\.[0-9]{6}, best fit=[01]\\.[0-9]{6},")))
      << progress[0];
  expect_contains(r.out, "Experiment done. Retrieving candidate algorithm.\n");
  expect_contains(r.out, "Search fitness for candidate algorithm = ");
  expect_contains(r.out, "Select fitness for candidate algorithm = ");
  expect_contains(r.out, "Final evaluation fitness (on unseen data) = ");
  // What follows "Algorithm found:" is a whole algorithm in the readable text format.
  const std::string text = printed_algorithm(r.out);
  const Algorithm found = test::parse(text);
  EXPECT_EQ(found.setup.size(), 4u);
  EXPECT_EQ(found.predict.size(), 1u);
  EXPECT_EQ(found.learn.size(), 3u);
  expect_contains(text, "def Setup():\n");
}

TEST(SearchCli, WritesARunDirectoryThatOtherCommandsReadBack) {
  const TempDir dir;
  const std::string config = dir.write("small.toml", kSmallConfig);
  const fs::path run = dir.path("run");
  const test::CommandResult r = amlz(run_args(config, run));
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;

  EXPECT_EQ(read_file(run / "seed.txt"), "5\n");
  // progress.csv: a header and one row per progress line, with the same individual counts.
  const auto csv = lines_of(read_file(run / "progress.csv"));
  const auto progress = progress_lines(r.out);
  ASSERT_EQ(csv.size(), 1 + progress.size()) << read_file(run / "progress.csv");
  EXPECT_EQ(csv[0].rfind("experiment,individuals,", 0), 0u) << csv[0];
  for (size_t i = 0; i < progress.size(); ++i) {
    const std::string indivs = progress[i].substr(7, progress[i].find(',') - 7);
    EXPECT_EQ(csv[i + 1].rfind("1," + indivs + ",", 0), 0u) << csv[i + 1] << " vs " << progress[i];
  }
  // best_algorithm.txt parses (its first line is a # comment) and is the algorithm printed at the end.
  const Algorithm best = read_algorithm_file((run / "best_algorithm.txt").string());
  EXPECT_EQ(best, test::parse(printed_algorithm(r.out)));
  // summary.json: one JSON object with the run's facts.
  const std::string summary = read_file(run / "summary.json");
  EXPECT_EQ(summary.front(), '{');
  EXPECT_EQ(summary.substr(summary.size() - 2), "}\n");
  expect_contains(summary, "\"seed\":5");
  expect_contains(summary, "\"experiments\":1");
  expect_contains(summary, "\"stop\":\"budget\"");
  expect_contains(summary, "\"final_fitness\":");
  // progress.svg: a complete SVG document with the two curves.
  const std::string svg = read_file(run / "progress.svg");
  EXPECT_EQ(svg.rfind("<svg", 0), 0u);
  expect_contains(svg, "<polyline");
  EXPECT_EQ(svg.substr(svg.size() - 7), "</svg>\n");

  // `amlz eval` reads the run's config and best algorithm and scores it on the final tasks exactly as the search
  // did (the demo ops have no random ops, so the evaluation seed does not matter).
  const std::string final_fitness = value_after(r.out, "Final evaluation fitness (on unseen data) = ");
  const test::CommandResult e = amlz("eval --config " + shell_quote((run / "config.toml").string()) + " --algorithm " +
                                     shell_quote((run / "best_algorithm.txt").string()) + " --tasks final");
  ASSERT_EQ(e.exit_code, 0) << e.out << e.err;
  EXPECT_EQ(value_after(e.out, "fitness (mean over 3 tasks) = "), final_fitness) << e.out;

  // `amlz search --config <run>/config.toml` repeats the run (the file holds the seed) into another directory.
  const fs::path again = dir.path("again");
  const test::CommandResult r2 =
      amlz("search --config " + shell_quote((run / "config.toml").string()) + " --out " + shell_quote(again.string()));
  ASSERT_EQ(r2.exit_code, 0) << r2.out << r2.err;
  EXPECT_EQ(without_timing(r2.out), without_timing(r.out));
  EXPECT_EQ(read_file(again / "best_algorithm.txt"), read_file(run / "best_algorithm.txt"));
}

TEST(SearchCli, TheSameSeedGivesTheSameOutputAndAnotherSeedAnother) {
  const TempDir dir;
  const std::string config = dir.write("small.toml", kSmallConfig);
  const test::CommandResult a = amlz(run_args(config, dir.path("a")));
  const test::CommandResult b = amlz(run_args(config, dir.path("b")));
  ASSERT_EQ(a.exit_code, 0) << a.err;
  ASSERT_EQ(b.exit_code, 0) << b.err;
  EXPECT_EQ(without_timing(a.out), without_timing(b.out));
  EXPECT_EQ(read_file(dir.path("a") / "best_algorithm.txt"), read_file(dir.path("b") / "best_algorithm.txt"));
  const test::CommandResult c = amlz(run_args(config, dir.path("c"), "6"));
  ASSERT_EQ(c.exit_code, 0) << c.err;
  expect_contains(c.out, "Random seed = 6\n");
  EXPECT_NE(without_timing(c.out), without_timing(a.out));
}

// Off a terminal the status line is a plain line (the first one at once); --quiet leaves it out and changes
// nothing else.
TEST(SearchCli, StatusLineOnStderrAndQuietLeavesItOut) {
  const TempDir dir;
  const std::string config = dir.write("small.toml", kSmallConfig);
  const test::CommandResult loud = amlz(run_args(config, dir.path("loud")));
  const test::CommandResult quiet = amlz(run_args(config, dir.path("quiet")) + " --quiet");
  ASSERT_EQ(loud.exit_code, 0) << loud.err;
  ASSERT_EQ(quiet.exit_code, 0) << quiet.err;
  expect_contains(loud.err, "[search, experiment 1 of 1, ");
  expect_contains(loud.err, " to the budget\n");
  EXPECT_EQ(quiet.err.find("[search"), std::string::npos) << quiet.err;
  EXPECT_EQ(loud.err.find('\r'), std::string::npos) << "not a terminal: no in-place updates";
  EXPECT_EQ(without_timing(quiet.out), without_timing(loud.out));
}

TEST(SearchCli, OutPointingAtAnExistingRunDirectoryExitsTwo) {
  const TempDir dir;
  const std::string config = dir.write("small.toml", kSmallConfig);
  ASSERT_EQ(amlz(run_args(config, dir.path("run"))).exit_code, 0);
  const std::string before = read_file(dir.path("run") / "progress.csv");
  const test::CommandResult r = amlz(run_args(config, dir.path("run")));
  EXPECT_EQ(r.exit_code, 2) << r.out << r.err;
  expect_contains(r.err, "already exists and is not empty");
  // The earlier run is left as it was.
  EXPECT_EQ(read_file(dir.path("run") / "progress.csv"), before);
}

TEST(SearchCli, BadConfigKeyExitsTwo) {
  const TempDir dir;
  std::string text = kSmallConfig;
  text.replace(text.find("population_size"), std::string("population_size").size(), "populaton_size");
  const std::string config = dir.write("bad.toml", text);
  const test::CommandResult r = amlz(run_args(config, dir.path("run")));
  EXPECT_EQ(r.exit_code, 2) << r.out << r.err;
  expect_contains(r.err, "populaton_size");
  EXPECT_FALSE(fs::exists(dir.path("run") / "progress.csv")) << "a run started despite the bad config";
}

TEST(SearchCli, MissingConfigExitsTwo) {
  const TempDir dir;
  const test::CommandResult r = amlz("search --seed 5 --out " + shell_quote(dir.path("run").string()));
  EXPECT_EQ(r.exit_code, 2) << r.out << r.err;
  expect_contains(r.err, "--config");
}

// Polls `done` every 20 ms for at most `limit`; true if it became true.
template <class F>
bool wait_for(F done, std::chrono::seconds limit) {
  const auto end = std::chrono::steady_clock::now() + limit;
  while (std::chrono::steady_clock::now() < end) {
    if (done()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return done();
}

TEST(SearchCli, CtrlCStopsCleanlyWithExit130AndAReadableRunDirectory) {
  const TempDir dir;
  // A budget that would take hours: only the interrupt ends this run.
  std::string text = kSmallConfig;
  text.replace(text.find("max_train_steps = 60000"), std::string("max_train_steps = 60000").size(),
               "max_train_steps = 1_000_000_000_000");
  const std::string config = dir.write("long.toml", text);
  const fs::path run = dir.path("run");
  const std::string out_file = dir.path("stdout.txt").string(), err_file = dir.path("stderr.txt").string();

  // Everything the child needs is prepared before fork(): between fork and exec only async-signal-safe calls.
  std::vector<std::string> args = {AMLZ_BINARY, "search", "--config", config, "--seed", "5", "--out", run.string()};
  std::vector<char*> argv;
  for (std::string& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  const pid_t pid = fork();
  ASSERT_GE(pid, 0) << "fork failed";
  if (pid == 0) {
    const int out = open(out_file.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    const int err = open(err_file.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (out < 0 || err < 0) _exit(120);
    dup2(out, STDOUT_FILENO);
    dup2(err, STDERR_FILENO);
    // gtest or the shell may have SIGINT ignored; the child must see it as a terminal's Ctrl-C would.
    signal(SIGINT, SIG_DFL);
    execv(argv[0], argv.data());
    _exit(121);
  }
  int status = 0;
  bool exited = false;
  auto reap = [&] {
    if (!exited && waitpid(pid, &status, WNOHANG) == pid) exited = true;
    return exited;
  };
  // Wait until progress.csv holds a data row: the search is running with its handler installed.
  const bool has_row = wait_for([&] { return reap() || lines_of(read_file(run / "progress.csv")).size() >= 2; },
                                std::chrono::seconds(60));
  if (!has_row || exited) {
    if (!exited) kill(pid, SIGKILL), waitpid(pid, &status, 0);
    FAIL() << "no progress row within 60 s (or the search ended by itself)\nstdout:\n"
           << read_file(out_file) << "\nstderr:\n"
           << read_file(err_file);
  }
  ASSERT_EQ(kill(pid, SIGINT), 0);
  if (!wait_for(reap, std::chrono::seconds(60))) {
    kill(pid, SIGKILL);
    waitpid(pid, &status, 0);
    FAIL() << "the search did not stop within 60 s of SIGINT\nstderr:\n" << read_file(err_file);
  }
  const std::string out = read_file(out_file), err = read_file(err_file);
  ASSERT_TRUE(WIFEXITED(status)) << "killed by signal " << (WIFSIGNALED(status) ? WTERMSIG(status) : 0) << "\n" << err;
  EXPECT_EQ(WEXITSTATUS(status), 130) << err;

  // The run directory is complete and readable.
  const auto csv = lines_of(read_file(run / "progress.csv"));
  ASSERT_GE(csv.size(), 2u);
  EXPECT_EQ(csv.size(), 1 + progress_lines(out).size());
  Algorithm best;
  EXPECT_NO_THROW(best = read_algorithm_file((run / "best_algorithm.txt").string()));
  EXPECT_EQ(best.setup.size(), 4u);
  const std::string summary = read_file(run / "summary.json");
  expect_contains(summary, "\"stop\":\"interrupted\"");
  expect_contains(err, "stopped by signal 2 in the search phase");
  EXPECT_EQ(read_file(run / "seed.txt"), "5\n");
}

}  // namespace
}  // namespace amlz
