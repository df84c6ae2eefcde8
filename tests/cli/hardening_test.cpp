// SPDX-License-Identifier: Apache-2.0
// Hostile and careless input to the real `amlz` binary: every case ends in one clear message and an exit code, never
// a hang, a crash, a silent misread or a user's file overwritten (issue: hardening).
#include <filesystem>
#include <string>

#include <gtest/gtest.h>

#include "cli_util.h"
#include "test_util.h"

namespace amlz {
namespace {

namespace fs = std::filesystem;
using test::expect_contains;
using test::shell_quote;
using test::TempDir;

test::CommandResult amlz(const std::string& args) {
  return test::run_amlz(args, test::Streams::Merged, AMLZ_SOURCE_DIR);
}

#if defined(__SANITIZE_ADDRESS__)
constexpr bool kAddressSanitizer = true;
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
constexpr bool kAddressSanitizer = true;
#else
constexpr bool kAddressSanitizer = false;
#endif
#else
constexpr bool kAddressSanitizer = false;
#endif

TEST(Hardening, ThreadsTheSystemRefusesAreAnErrorNotAHang) {
  // With 400 MB of address space, 1000 thread stacks cannot be mapped: the pool's constructor used to throw with
  // threads already started and then hang (or terminate). timeout turns a hang into exit code 124.
  if (kAddressSanitizer) GTEST_SKIP() << "AddressSanitizer reserves more address space than the limit allows";
  const test::ShellResult s = test::run_shell(
      "cd " + shell_quote(AMLZ_SOURCE_DIR) + " && ulimit -v 400000 && timeout 60 " + shell_quote(AMLZ_BINARY) +
      " eval --config configs/linear_regression.toml --algorithm configs/algorithms/linear.txt --threads 1000 2>&1");
  EXPECT_EQ(s.exit_code, 2) << s.out;
  expect_contains(s.out, "cannot start 1000 worker threads");
}

TEST(Hardening, ShowRefusesAComponentTooLongForTheBytecode) {
  const TempDir dir;
  std::string text = "def Setup():\n";
  for (int i = 0; i < 16384; ++i) text += "  s2 = s2 + s3\n";
  text += "def Predict():\ndef Learn():\n";
  const test::CommandResult r = amlz("show " + shell_quote(dir.write("long.txt", text)));
  EXPECT_EQ(r.exit_code, 2) << r.out;
  expect_contains(r.out, "Setup has more than 16383 instructions");
}

TEST(Hardening, ADirectoryIsNotAnAlgorithmFile) {
  const TempDir dir;
  for (const std::string cmd : {"show ", "eval --config configs/linear_regression.toml --algorithm "}) {
    const test::CommandResult r = amlz(cmd + shell_quote(dir.path("").string()));
    EXPECT_EQ(r.exit_code, 2) << r.out;
    expect_contains(r.out, "is a directory, not an algorithm file");
  }
}

TEST(Hardening, EvalAndShowHelpListOnlyWhatTheyUse) {
  for (const std::string cmd : {"eval", "show"}) {
    const test::CommandResult r = amlz(cmd + " --help");
    EXPECT_EQ(r.exit_code, 0) << r.out;
    EXPECT_EQ(r.out.find("--evolution."), std::string::npos) << r.out;
    EXPECT_EQ(r.out.find("--fec."), std::string::npos) << r.out;
    expect_contains(r.out, "--memory.scalars");
  }
  const test::CommandResult r = amlz(
      "eval --config configs/linear_regression.toml --algorithm configs/algorithms/linear.txt "
      "--evolution.population_size 5");
  EXPECT_EQ(r.exit_code, 2) << r.out;
  expect_contains(r.out, "--evolution.population_size applies to `amlz search`, not to `amlz eval`");
}

}  // namespace
}  // namespace amlz
