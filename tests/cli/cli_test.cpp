// SPDX-License-Identifier: Apache-2.0
// End to end through the real `amlz` binary: exit codes (0 ok, 2 bad input) and what each command prints.
#include <cctype>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <sys/wait.h>
#include <unistd.h>

#include "amlz/eval/backend.h"
#include "cli_util.h"
#include "test_util.h"

namespace amlz {
namespace {

namespace fs = std::filesystem;

using test::expect_contains;
using test::run_shell;
using test::shell_quote;
using test::TempDir;

// Runs `amlz <args>` from the source directory (so configs/... paths work) and captures everything it prints.
test::CommandResult amlz(const std::string& args) {
  return test::run_amlz(args, test::Streams::Merged, AMLZ_SOURCE_DIR);
}

const char* kLinearConfig =
    "[search_tasks]\n"
    "type = \"linear\"\n"
    "features = 4\n"
    "num_tasks = 2\n"
    "num_train = 1000\n"
    "num_valid = 100\n";

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
  const test::CommandResult r = amlz("ops");
  ASSERT_EQ(r.exit_code, 0) << r.out;
  std::istringstream lines(r.out);
  std::string line;
  int rows = 0;
  while (std::getline(lines, line))
    if (!line.empty() && std::isdigit(static_cast<unsigned char>(line[0]))) ++rows;
  EXPECT_EQ(rows, 65);
  expect_contains(r.out, "VECTOR_INNER_PRODUCT_OP");
  expect_contains(r.out, "sO = dot(vA, vB)");
  expect_contains(r.out, "MATRIX_GAUSSIAN_SET_OP");
}

TEST(CliShow, PrintsTheAlgorithm) {
  const test::CommandResult r = amlz("show configs/algorithms/linear.txt");
  ASSERT_EQ(r.exit_code, 0) << r.out;
  // The canonical text (the file's comment line is not part of the algorithm).
  expect_contains(r.out,
                  "def Setup():\n  s2 = 0.1\ndef Predict():\n  s1 = dot(v1, v0)\n"
                  "def Learn():\n  s3 = s0 - s1\n  s3 = s2 * s3\n  v2 = s3 * v0\n  v1 = v1 + v2\n");
  expect_contains(r.out, "6 live");
}

TEST(CliShow, MalformedFileExitsTwoWithTheLineNumber) {
  const TempDir dir;
  const std::string file =
      shell_quote(dir.write("bad.txt", "def Setup():\n  s2 = 0.1\ndef Predict():\n  s1 = dot(v1 v0)\ndef Learn():\n"));
  const test::CommandResult r = amlz("show " + file);
  EXPECT_EQ(r.exit_code, 2) << r.out;
  expect_contains(r.out, "bad.txt:4:");
}

TEST(CliShow, MissingFileExitsTwo) {
  const test::CommandResult r = amlz("show /nonexistent-dir/algorithm.txt");
  EXPECT_EQ(r.exit_code, 2) << r.out;
  expect_contains(r.out, "/nonexistent-dir/algorithm.txt");
}

TEST(CliEval, LinearAlgorithmSolvesLinearTasks) {
  const TempDir dir;
  const std::string config = shell_quote(dir.write("linear.toml", kLinearConfig));
  const test::CommandResult r = amlz("eval --config " + config + " --algorithm configs/algorithms/linear.txt");
  ASSERT_EQ(r.exit_code, 0) << r.out;
  // "fitness (mean over 2 tasks) = 0.999..."
  const std::string key = "fitness (mean over 2 tasks) = ";
  const size_t at = r.out.find(key);
  ASSERT_NE(at, std::string::npos) << r.out;
  EXPECT_GT(std::stod(r.out.substr(at + key.size())), 0.999) << r.out;
}

TEST(CliEval, JsonPrintsOneParseableLine) {
  const TempDir dir;
  const std::string config = shell_quote(dir.write("linear.toml", kLinearConfig));
  const test::CommandResult r = amlz("eval --json --config " + config + " --algorithm configs/algorithms/linear.txt");
  ASSERT_EQ(r.exit_code, 0) << r.out;
  // With --json nothing else is printed: exactly one line.
  ASSERT_FALSE(r.out.empty());
  EXPECT_EQ(r.out.back(), '\n');
  const std::string line = r.out.substr(0, r.out.size() - 1);
  EXPECT_EQ(line.find('\n'), std::string::npos) << r.out;
  EXPECT_TRUE(JsonChecker(line).valid()) << line;
  const std::string key = "\"fitness\":";  // the first one is the combined fitness (per-task ones follow)
  const size_t at = line.find(key);
  ASSERT_NE(at, std::string::npos) << line;
  EXPECT_GT(std::stod(line.substr(at + key.size())), 0.999) << line;
}

TEST(CliEval, BadConfigKeyExitsTwo) {
  const TempDir dir;
  const std::string config = shell_quote(dir.write("bad.toml", std::string(kLinearConfig) + "num_trian = 5\n"));
  const test::CommandResult r = amlz("eval --config " + config + " --algorithm configs/algorithms/linear.txt");
  EXPECT_EQ(r.exit_code, 2) << r.out;
  expect_contains(r.out, "bad.toml:7:");
  expect_contains(r.out, "unknown key 'search_tasks.num_trian'");
}

TEST(CliEval, UnknownTaskSetExitsTwo) {
  const TempDir dir;
  const std::string config = shell_quote(dir.write("linear.toml", kLinearConfig));
  const test::CommandResult r =
      amlz("eval --config " + config + " --algorithm configs/algorithms/linear.txt --tasks bogus");
  EXPECT_EQ(r.exit_code, 2) << r.out;
  expect_contains(r.out, "bogus");
}

TEST(CliEval, MissingConfigFileExitsTwo) {
  const test::CommandResult r = amlz("eval --config /nonexistent-dir/c.toml --algorithm configs/algorithms/linear.txt");
  EXPECT_EQ(r.exit_code, 2) << r.out;
  expect_contains(r.out, "/nonexistent-dir/c.toml");
}

TEST(CliEval, MissingConfigFlagExitsTwo) {
  const test::CommandResult r = amlz("eval --algorithm configs/algorithms/linear.txt");
  EXPECT_EQ(r.exit_code, 2) << r.out;
  expect_contains(r.out, "--config");
}

TEST(CliEval, CudaBackendWithoutAGpuExitsTwoSayingWhy) {
  const std::string why = cuda_unavailable_reason();
  if (why.empty()) GTEST_SKIP() << "a CUDA device is available here";
  const TempDir dir;
  const std::string config = shell_quote(dir.write("linear.toml", kLinearConfig));
  const test::CommandResult r =
      amlz("eval --backend cuda --config " + config + " --algorithm configs/algorithms/linear.txt");
  EXPECT_EQ(r.exit_code, 2) << r.out;
  expect_contains(r.out, "cuda");
  expect_contains(r.out, why);
}

TEST(CliEval, BackendCpuIsAccepted) {
  const TempDir dir;
  const std::string config = shell_quote(dir.write("linear.toml", kLinearConfig));
  const test::CommandResult r =
      amlz("eval --backend cpu --config " + config + " --algorithm configs/algorithms/linear.txt");
  EXPECT_EQ(r.exit_code, 0) << r.out;
  expect_contains(r.out, "backend: cpu");
}

TEST(CliMain, UnknownCommandExitsTwo) {
  const test::CommandResult r = amlz("frobnicate");
  EXPECT_EQ(r.exit_code, 2) << r.out;
  expect_contains(r.out, "unknown command 'frobnicate'");
}

TEST(CliMain, NoCommandExitsTwoWithUsage) {
  const test::CommandResult r = amlz("");
  EXPECT_EQ(r.exit_code, 2) << r.out;
  expect_contains(r.out, "usage: amlz <command>");
}

TEST(CliMain, HelpExitsZero) {
  const test::CommandResult r = amlz("--help");
  EXPECT_EQ(r.exit_code, 0) << r.out;
  expect_contains(r.out, "commands:");
}

}  // namespace
}  // namespace amlz
