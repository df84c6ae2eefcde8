// SPDX-License-Identifier: Apache-2.0
// End to end through the real `amlz` binary: exit codes (0 ok, 2 bad input) and what each command prints.
#include <sys/wait.h>
#include <unistd.h>

#include <cctype>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

#include "amlz/eval/backend.h"
#include "cli_util.h"
#include "test_util.h"

namespace amlz {
namespace {

namespace fs = std::filesystem;

using test::run_shell;
using test::shell_quote;
using test::TempDir;

struct CommandResult {
  int exit_code = -1;
  std::string output;  // stdout and stderr together
};

// Runs `amlz <args>` from the source directory (so configs/... paths work) and captures everything it prints.
CommandResult amlz(const std::string& args) {
  const test::ShellResult r =
      run_shell("cd " + shell_quote(AMLZ_SOURCE_DIR) + " && " + shell_quote(AMLZ_BINARY) + " " + args + " 2>&1");
  return {r.exit_code, r.out};
}

const char* kLinearConfig =
    "[search_tasks]\n"
    "type = \"linear\"\n"
    "features = 4\n"
    "num_tasks = 2\n"
    "num_train = 1000\n"
    "num_valid = 100\n";

void expect_contains(const std::string& haystack, const std::string& needle) {
  EXPECT_NE(haystack.find(needle), std::string::npos) << "'" << needle << "' not in:\n" << haystack;
}

// A small recursive-descent JSON checker: true if `s` is exactly one JSON value (RFC 8259 grammar).
class JsonChecker {
 public:
  explicit JsonChecker(const std::string& s) : s_(s) {}
  bool valid() {
    space();
    if (!value()) return false;
    space();
    return i_ == s_.size();
  }

 private:
  bool value() {
    if (i_ >= s_.size()) return false;
    switch (s_[i_]) {
      case '{': return object();
      case '[': return array();
      case '"': return string();
      case 't': return literal("true");
      case 'f': return literal("false");
      case 'n': return literal("null");
      default: return number();
    }
  }
  bool object() {
    ++i_;
    space();
    if (peek('}')) return ++i_, true;
    for (;;) {
      space();
      if (!string()) return false;
      space();
      if (!peek(':')) return false;
      ++i_;
      space();
      if (!value()) return false;
      space();
      if (peek('}')) return ++i_, true;
      if (!peek(',')) return false;
      ++i_;
    }
  }
  bool array() {
    ++i_;
    space();
    if (peek(']')) return ++i_, true;
    for (;;) {
      space();
      if (!value()) return false;
      space();
      if (peek(']')) return ++i_, true;
      if (!peek(',')) return false;
      ++i_;
    }
  }
  bool string() {
    if (!peek('"')) return false;
    for (++i_; i_ < s_.size(); ++i_) {
      const char c = s_[i_];
      if (c == '"') return ++i_, true;
      if (static_cast<unsigned char>(c) < 0x20) return false;
      if (c == '\\') ++i_;
    }
    return false;
  }
  bool number() {
    const size_t start = i_;
    if (peek('-')) ++i_;
    if (!digits()) return false;
    if (peek('.')) {
      ++i_;
      if (!digits()) return false;
    }
    if (peek('e') || peek('E')) {
      ++i_;
      if (peek('+') || peek('-')) ++i_;
      if (!digits()) return false;
    }
    return i_ > start;
  }
  bool digits() {
    const size_t start = i_;
    while (i_ < s_.size() && std::isdigit(static_cast<unsigned char>(s_[i_]))) ++i_;
    return i_ > start;
  }
  bool literal(const char* word) {
    const std::string w = word;
    if (s_.compare(i_, w.size(), w) != 0) return false;
    i_ += w.size();
    return true;
  }
  bool peek(char c) const { return i_ < s_.size() && s_[i_] == c; }
  void space() {
    while (i_ < s_.size() && std::isspace(static_cast<unsigned char>(s_[i_]))) ++i_;
  }

  const std::string& s_;
  size_t i_ = 0;
};

TEST(JsonChecker, AcceptsJsonAndRejectsNearMisses) {
  // The checker itself must be able to say no, or the --json test below could not fail.
  EXPECT_TRUE(JsonChecker(R"({"a":1,"b":[1.5e-3,-2,true,null],"c":{"d":"x\"y"}})").valid());
  EXPECT_FALSE(JsonChecker(R"({"a":1,})").valid());
  EXPECT_FALSE(JsonChecker(R"({"a":nan})").valid());
  EXPECT_FALSE(JsonChecker(R"({"a":1} {"b":2})").valid());
  EXPECT_FALSE(JsonChecker(R"({"a":"unterminated})").valid());
}

// ---------------------------------------------------------------------------------------------------------------

TEST(CliOps, ListsAll65Ops) {
  const CommandResult r = amlz("ops");
  ASSERT_EQ(r.exit_code, 0) << r.output;
  std::istringstream lines(r.output);
  std::string line;
  int rows = 0;
  while (std::getline(lines, line))
    if (!line.empty() && std::isdigit(static_cast<unsigned char>(line[0]))) ++rows;
  EXPECT_EQ(rows, 65);
  expect_contains(r.output, "VECTOR_INNER_PRODUCT_OP");
  expect_contains(r.output, "sO = dot(vA, vB)");
  expect_contains(r.output, "MATRIX_GAUSSIAN_SET_OP");
}

TEST(CliShow, PrintsTheAlgorithm) {
  const CommandResult r = amlz("show configs/algorithms/linear.txt");
  ASSERT_EQ(r.exit_code, 0) << r.output;
  // The canonical text (the file's comment line is not part of the algorithm).
  expect_contains(r.output,
                  "def Setup():\n  s2 = 0.1\ndef Predict():\n  s1 = dot(v1, v0)\n"
                  "def Learn():\n  s3 = s0 - s1\n  s3 = s2 * s3\n  v2 = s3 * v0\n  v1 = v1 + v2\n");
  expect_contains(r.output, "6 live");
}

TEST(CliShow, MalformedFileExitsTwoWithTheLineNumber) {
  const TempDir dir;
  const std::string file = shell_quote(dir.write("bad.txt", "def Setup():\n  s2 = 0.1\ndef Predict():\n  s1 = dot(v1 v0)\ndef Learn():\n"));
  const CommandResult r = amlz("show " + file);
  EXPECT_EQ(r.exit_code, 2) << r.output;
  expect_contains(r.output, "bad.txt:4:");
}

TEST(CliShow, MissingFileExitsTwo) {
  const CommandResult r = amlz("show /nonexistent-dir/algorithm.txt");
  EXPECT_EQ(r.exit_code, 2) << r.output;
  expect_contains(r.output, "/nonexistent-dir/algorithm.txt");
}

TEST(CliEval, LinearAlgorithmSolvesLinearTasks) {
  const TempDir dir;
  const std::string config = shell_quote(dir.write("linear.toml", kLinearConfig));
  const CommandResult r = amlz("eval --config " + config + " --algorithm configs/algorithms/linear.txt");
  ASSERT_EQ(r.exit_code, 0) << r.output;
  // "fitness (mean over 2 tasks) = 0.999..."
  const std::string key = "fitness (mean over 2 tasks) = ";
  const size_t at = r.output.find(key);
  ASSERT_NE(at, std::string::npos) << r.output;
  EXPECT_GT(std::stod(r.output.substr(at + key.size())), 0.999) << r.output;
}

TEST(CliEval, JsonPrintsOneParseableLine) {
  const TempDir dir;
  const std::string config = shell_quote(dir.write("linear.toml", kLinearConfig));
  const CommandResult r = amlz("eval --json --config " + config + " --algorithm configs/algorithms/linear.txt");
  ASSERT_EQ(r.exit_code, 0) << r.output;
  // With --json nothing else is printed: exactly one line.
  ASSERT_FALSE(r.output.empty());
  EXPECT_EQ(r.output.back(), '\n');
  const std::string line = r.output.substr(0, r.output.size() - 1);
  EXPECT_EQ(line.find('\n'), std::string::npos) << r.output;
  EXPECT_TRUE(JsonChecker(line).valid()) << line;
  const std::string key = "\"fitness\":";  // the first one is the combined fitness (per-task ones follow)
  const size_t at = line.find(key);
  ASSERT_NE(at, std::string::npos) << line;
  EXPECT_GT(std::stod(line.substr(at + key.size())), 0.999) << line;
}

TEST(CliEval, BadConfigKeyExitsTwo) {
  const TempDir dir;
  const std::string config = shell_quote(dir.write("bad.toml", std::string(kLinearConfig) + "num_trian = 5\n"));
  const CommandResult r = amlz("eval --config " + config + " --algorithm configs/algorithms/linear.txt");
  EXPECT_EQ(r.exit_code, 2) << r.output;
  expect_contains(r.output, "bad.toml:7:");
  expect_contains(r.output, "unknown key 'search_tasks.num_trian'");
}

TEST(CliEval, UnknownTaskSetExitsTwo) {
  const TempDir dir;
  const std::string config = shell_quote(dir.write("linear.toml", kLinearConfig));
  const CommandResult r = amlz("eval --config " + config + " --algorithm configs/algorithms/linear.txt --tasks bogus");
  EXPECT_EQ(r.exit_code, 2) << r.output;
  expect_contains(r.output, "bogus");
}

TEST(CliEval, MissingConfigFileExitsTwo) {
  const CommandResult r = amlz("eval --config /nonexistent-dir/c.toml --algorithm configs/algorithms/linear.txt");
  EXPECT_EQ(r.exit_code, 2) << r.output;
  expect_contains(r.output, "/nonexistent-dir/c.toml");
}

TEST(CliEval, MissingConfigFlagExitsTwo) {
  const CommandResult r = amlz("eval --algorithm configs/algorithms/linear.txt");
  EXPECT_EQ(r.exit_code, 2) << r.output;
  expect_contains(r.output, "--config");
}

TEST(CliEval, CudaBackendWithoutAGpuExitsTwoSayingWhy) {
  const std::string why = cuda_unavailable_reason();
  if (why.empty()) GTEST_SKIP() << "a CUDA device is available here";
  const TempDir dir;
  const std::string config = shell_quote(dir.write("linear.toml", kLinearConfig));
  const CommandResult r = amlz("eval --backend cuda --config " + config + " --algorithm configs/algorithms/linear.txt");
  EXPECT_EQ(r.exit_code, 2) << r.output;
  expect_contains(r.output, "cuda");
  expect_contains(r.output, why);
}

TEST(CliEval, BackendCpuIsAccepted) {
  const TempDir dir;
  const std::string config = shell_quote(dir.write("linear.toml", kLinearConfig));
  const CommandResult r = amlz("eval --backend cpu --config " + config + " --algorithm configs/algorithms/linear.txt");
  EXPECT_EQ(r.exit_code, 0) << r.output;
  expect_contains(r.output, "backend: cpu");
}

TEST(CliMain, UnknownCommandExitsTwo) {
  const CommandResult r = amlz("frobnicate");
  EXPECT_EQ(r.exit_code, 2) << r.output;
  expect_contains(r.output, "unknown command 'frobnicate'");
}

TEST(CliMain, NoCommandExitsTwoWithUsage) {
  const CommandResult r = amlz("");
  EXPECT_EQ(r.exit_code, 2) << r.output;
  expect_contains(r.output, "usage: amlz <command>");
}

TEST(CliMain, HelpExitsZero) {
  const CommandResult r = amlz("--help");
  EXPECT_EQ(r.exit_code, 0) << r.output;
  expect_contains(r.output, "commands:");
}

}  // namespace
}  // namespace amlz
