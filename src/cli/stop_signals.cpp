// SPDX-License-Identifier: Apache-2.0
#include "cli/stop_signals.h"

#include <cerrno>
#include <csignal>

namespace amlz::cli {
namespace {

constexpr int kSignals[] = {SIGINT, SIGTERM, SIGHUP};

std::atomic<bool> g_stop{false};
std::atomic<int> g_signal{0};
std::atomic<bool> g_output_failed{false};
struct sigaction g_previous[3];
struct sigaction g_previous_pipe;

extern "C" void on_stop_signal(int sig) {
  // Async-signal-safe: atomics and sigaction only. After the first, every stop signal has its default action.
  int expected = 0;
  g_signal.compare_exchange_strong(expected, sig);
  g_stop.store(true);
  struct sigaction dfl {};
  dfl.sa_handler = SIG_DFL;
  sigemptyset(&dfl.sa_mask);
  for (int s : kSignals) sigaction(s, &dfl, nullptr);
}

}  // namespace

StopSignals::StopSignals() {
  g_stop.store(false);
  g_signal.store(0);
  g_output_failed.store(false);
  struct sigaction sa {};
  sa.sa_handler = on_stop_signal;
  sigemptyset(&sa.sa_mask);
  for (int i = 0; i < 3; ++i) sigaction(kSignals[i], &sa, &g_previous[i]);
  struct sigaction ignore {};
  ignore.sa_handler = SIG_IGN;
  sigemptyset(&ignore.sa_mask);
  sigaction(SIGPIPE, &ignore, &g_previous_pipe);
}

StopSignals::~StopSignals() {
  for (int i = 0; i < 3; ++i) sigaction(kSignals[i], &g_previous[i], nullptr);
  sigaction(SIGPIPE, &g_previous_pipe, nullptr);
}

const std::atomic<bool>& StopSignals::flag() const { return g_stop; }
int StopSignals::signal() const { return g_signal.load(); }
int StopSignals::exit_code() const { return g_signal.load() == 0 ? 0 : 128 + g_signal.load(); }

void StopSignals::stop_for_output(int error) {
  g_output_failed.store(true);
  if (error == EPIPE) {
    int expected = 0;
    g_signal.compare_exchange_strong(expected, SIGPIPE);
  }
  g_stop.store(true);
}

bool StopSignals::output_failed() const { return g_output_failed.load(); }

}  // namespace amlz::cli
