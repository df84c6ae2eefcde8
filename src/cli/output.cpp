// SPDX-License-Identifier: Apache-2.0
#include "cli/output.h"

#include <cerrno>
#include <cstdio>

#include "cli/stop_signals.h"

namespace amlz::cli {
namespace {

int g_first_error = 0;  // stdout's first write error: later attempts only report EIO through ferror()

}  // namespace

int flush_stdout() {
  errno = 0;
  const bool failed = std::fflush(stdout) != 0 || std::ferror(stdout);
  if (failed && g_first_error == 0) g_first_error = errno != 0 ? errno : EIO;
  return failed ? g_first_error : 0;
}

bool print_line(const std::string& text) {
  if (std::ferror(stdout)) return false;
  std::fwrite(text.data(), 1, text.size(), stdout);
  std::fputc('\n', stdout);
  if (flush_stdout() == 0) return true;
  // Results that cannot be shown end the run (its directory is still written): a closed pipe as `| head` does,
  // any other failure (a full disk) reported when the command ends.
  StopSignals::stop_for_output(g_first_error);
  return false;
}

}  // namespace amlz::cli
