// SPDX-License-Identifier: Apache-2.0
// Helpers for tests that drive the real `amlz` binary: shell quoting, running a command, scratch directories.
#pragma once
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <sys/wait.h>
#include <unistd.h>

#include <gtest/gtest.h>

namespace amlz::test {

namespace fs = std::filesystem;

inline std::string shell_quote(const std::string& s) {
  std::string out = "'";
  for (char c : s) out += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return out + "'";
}

inline std::string read_file(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::ostringstream os;
  os << in.rdbuf();
  return os.str();
}

struct ShellResult {
  int exit_code = -1;
  std::string out;  // what the command wrote to stdout
};

// Runs `cmd` with /bin/sh and captures its stdout (redirect stderr in `cmd` as needed).
inline ShellResult run_shell(const std::string& cmd) {
  ShellResult r;
  FILE* pipe = popen(cmd.c_str(), "r");
  if (pipe == nullptr) {
    ADD_FAILURE() << "popen failed for: " << cmd;
    return r;
  }
  char buf[4096];
  size_t n;
  while ((n = fread(buf, 1, sizeof buf, pipe)) > 0) r.out.append(buf, n);
  const int status = pclose(pipe);
  r.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return r;
}

// What `amlz` did: exit code and what it printed.
struct CommandResult {
  int exit_code = -1;
  std::string out;  // stdout (with Streams::Merged: stdout and stderr interleaved as printed)
  std::string err;  // stderr (empty with Streams::Merged)
};

enum class Streams { Separate, Merged };

// Runs the `amlz` binary under test with `args` (shell syntax), in `cwd` when given (e.g. AMLZ_SOURCE_DIR, so that
// configs/... paths resolve).
inline CommandResult run_amlz(const std::string& args, Streams streams = Streams::Separate,
                              const std::string& cwd = "") {
  const std::string cd = cwd.empty() ? "" : "cd " + shell_quote(cwd) + " && ";
  const std::string cmd = cd + shell_quote(AMLZ_BINARY) + " " + args;
  if (streams == Streams::Merged) {
    const ShellResult r = run_shell(cmd + " 2>&1");
    return {r.exit_code, r.out, ""};
  }
  char err_path[] = "/tmp/amlz_test_stderr_XXXXXX";
  const int fd = mkstemp(err_path);
  if (fd < 0) ADD_FAILURE() << "mkstemp failed";
  close(fd);
  const ShellResult r = run_shell(cmd + " 2>" + shell_quote(err_path));
  CommandResult result{r.exit_code, r.out, read_file(err_path)};
  std::remove(err_path);
  return result;
}

// A scratch directory under the temp directory, removed with everything in it.
class TempDir {
 public:
  explicit TempDir(const std::string& prefix = "amlz_test") {
    static int counter = 0;
    path_ = fs::temp_directory_path() / (prefix + "_" + std::to_string(getpid()) + "_" + std::to_string(counter++));
    fs::create_directories(path_);
  }
  ~TempDir() { fs::remove_all(path_); }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;

  fs::path path(const std::string& name) const { return path_ / name; }
  // Writes `text` to `name` inside the directory; returns its path.
  std::string write(const std::string& name, const std::string& text) const {
    std::ofstream(path_ / name) << text;
    return (path_ / name).string();
  }

 private:
  fs::path path_;
};

}  // namespace amlz::test
