// SPDX-License-Identifier: Apache-2.0
// How a long command learns that it should stop: SIGINT, SIGTERM or SIGHUP (what Ctrl-C, `timeout`, `kill` and job
// schedulers send), or its standard output failing (closed, full). The first signal sets a flag the command polls
// between batches and task chunks, so it wraps up with its files complete; a second signal has its default effect at
// once.
#pragma once
#include <atomic>

namespace amlz::cli {

class StopSignals {
 public:
  // Installs the handlers and ignores SIGPIPE (a closed pipe becomes a write error the command handles); the
  // destructor restores what was there. One instance at a time.
  StopSignals();
  ~StopSignals();
  StopSignals(const StopSignals&) = delete;
  StopSignals& operator=(const StopSignals&) = delete;

  const std::atomic<bool>& flag() const;
  int signal() const;          // the first signal received, or 0
  int exit_code() const;       // 128 + that signal (130 SIGINT, 143 SIGTERM, 129 SIGHUP, 141 closed output), or 0
  bool output_failed() const;  // stopped because standard output failed

  // Standard output failed (errno `error`): stop as for a signal. A closed pipe (EPIPE) exits 141, as a process
  // killed by SIGPIPE; other failures are reported by run_app (exit 1).
  static void stop_for_output(int error);
};

}  // namespace amlz::cli
