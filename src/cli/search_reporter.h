// SPDX-License-Identifier: Apache-2.0
// What `amlz search` shows while it runs: the original's text lines on stdout, progress.csv and the best algorithm
// in the run directory, and a live status line on stderr (phase, experiment k of n, elapsed, individuals, steps/s,
// best and mean fitness, FEC hit rate, hurdle pass rate, time left to the budget). The status line is updated in
// place on a terminal and printed as a plain line every 10 s otherwise (logs, CI); --quiet turns it off.
#pragma once
#include <chrono>
#include <string>

#include "amlz/config.h"
#include "amlz/search/experiment.h"
#include "cli/run_directory.h"

namespace amlz::cli {

struct StatusOptions {
  bool quiet = false;  // no status line at all (the stdout lines and the run directory are unchanged)
  bool live = false;   // stderr is a terminal: one line updated in place
};

class SearchReporter final : public RunReporter {
 public:
  SearchReporter(RunDirectory& dir, const Config& config, StatusOptions status);

  void line(const std::string& text) override;
  void experiment_started(int experiment) override { experiment_ = experiment; }
  void on_progress(const SearchProgress& p) override;
  void on_batch(const SearchProgress& p, const SearchState& state) override;
  void evaluation_progress(Phase phase, size_t done, size_t total) override;
  void building_tasks(Phase phase, size_t done, size_t total) override;
  void best_so_far(const Algorithm& a, const std::string& note) override { dir_.write_best(a, note); }

 private:
  using Clock = std::chrono::steady_clock;
  // "[search, experiment 2 of 5, 1m05s]": where the run is.
  std::string where(Phase phase, Clock::time_point now) const;
  // Seconds until the experiment's training-step budget or the run's time limit, whichever comes first.
  double seconds_left(const SearchProgress& p, Clock::time_point now) const;
  // `stage` names what the line is about (e.g. "select 2"): off a terminal a new stage is shown at once.
  void status(const std::string& text, Clock::time_point now, const std::string& stage);
  void clear_live();

  RunDirectory& dir_;
  StatusOptions options_;
  bool fec_, hurdles_;   // the lines also report what these saved
  int64_t experiments_;  // 0: until sufficient fitness
  double step_budget_;
  double max_seconds_;
  bool live_shown_ = false;
  int experiment_ = 0;
  std::string stage_;  // of the latest status line
  Clock::time_point started_ = Clock::now(), last_status_{}, last_best_write_{};
};

}  // namespace amlz::cli
