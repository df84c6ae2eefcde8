// SPDX-License-Identifier: Apache-2.0
#include "cli/search_reporter.h"

#include <algorithm>
#include <cmath>
#include <cstdio>

#include "cli/cli_common.h"
#include "cli/output.h"

namespace amlz::cli {
namespace {

std::string fixed6(double x) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.6f", x);
  return buf;
}

// 75 -> "1m15s", 4000 -> "1h06m"
std::string duration(double seconds) {
  if (!std::isfinite(seconds) || seconds < 0) return "?";
  const long long s = std::llround(seconds);
  char buf[32];
  if (s < 60)
    std::snprintf(buf, sizeof buf, "%llds", s);
  else if (s < 3600)
    std::snprintf(buf, sizeof buf, "%lldm%02llds", s / 60, s % 60);
  else
    std::snprintf(buf, sizeof buf, "%lldh%02lldm", s / 3600, s / 60 % 60);
  return buf;
}

std::string percent(double share) {
  char buf[16];
  std::snprintf(buf, sizeof buf, "%.0f%%", 100 * share);
  return buf;
}

}  // namespace

SearchReporter::SearchReporter(RunDirectory& dir, const Config& config, StatusOptions status)
    : dir_(dir),
      options_(status),
      fec_(config.fec.enabled),
      hurdles_(config.hurdles.enabled),
      experiments_(config.experiment.max_experiments),
      step_budget_(static_cast<double>(config.evolution.max_train_steps)),
      max_seconds_(config.max_seconds) {}

void SearchReporter::line(const std::string& text) {
  clear_live();
  print_line(text);
}

void SearchReporter::on_progress(const SearchProgress& p) {
  line("indivs=" + std::to_string(p.individuals) +
       ", elapsed_secs=" + std::to_string(static_cast<long long>(p.elapsed_seconds)) + ", mean=" + fixed6(p.mean) +
       ", stdev=" + fixed6(p.stdev) + ", best fit=" + fixed6(p.best) +
       ", indivs/s=" + format_si(p.individuals_per_second) + ", train steps/s=" + format_si(p.train_steps_per_second) +
       ", fec hit rate=" + fixed6(p.fec_hit_rate) +
       (hurdles_ ? ", hurdle pass rate=" + fixed6(p.hurdle_pass_rate) +
                       ", train steps saved=" + format_si(static_cast<double>(p.steps_avoided))
                 : std::string()));
  dir_.append_progress(experiment_, p);
}

void SearchReporter::on_batch(const SearchProgress& p, const SearchState& state) {
  const auto now = Clock::now();
  const Individual& best = state.best();
  dir_.track_best(experiment_, p, best);
  if (now - last_best_write_ > std::chrono::seconds(2)) {
    last_best_write_ = now;
    dir_.write_best(best.algorithm, "best of the population so far (experiment " + std::to_string(experiment_) +
                                        ", search fitness " + fixed6(best.fitness) + ")");
  }
  if (options_.quiet ||
      (now - last_status_ < std::chrono::milliseconds(250) && stage_ == "search " + std::to_string(experiment_)))
    return;
  // The mean costs a pass over the populations: taken only when the line is shown.
  double sum = 0, count = 0;
  for (const Population* island : state.islands) {
    sum += island->mean_fitness() * static_cast<double>(island->size());
    count += static_cast<double>(island->size());
  }
  std::string text = where(Phase::Search, now) + " " + format_si(static_cast<double>(p.individuals)) +
                     " individuals, " + format_si(p.train_steps_per_second) + " steps/s, best " + fixed6(best.fitness) +
                     ", mean " + fixed6(count > 0 ? sum / count : 0.0);
  if (fec_) text += ", FEC hits " + percent(p.fec_hit_rate);
  if (hurdles_) text += ", hurdles passed " + percent(p.hurdle_pass_rate);
  text += ", " + duration(seconds_left(p, now)) + " to the budget";
  status(text, now, "search " + std::to_string(experiment_));
}

void SearchReporter::evaluation_progress(Phase phase, size_t done, size_t total) {
  const auto now = Clock::now();
  status(where(phase, now) + " evaluated on " + std::to_string(done) + " of " + std::to_string(total) + " tasks", now,
         std::string(enum_name(phase)) + " " + std::to_string(experiment_));
}

void SearchReporter::building_tasks(Phase phase, size_t done, size_t total) {
  const auto now = Clock::now();
  status(where(phase, now) + " building tasks: " + std::to_string(done) + " of " + std::to_string(total), now,
         "building " + std::string(enum_name(phase)));
}

std::string SearchReporter::where(Phase phase, Clock::time_point now) const {
  std::string text = "[" + std::string(enum_name(phase));
  if (phase != Phase::Final && experiment_ > 0) {
    text += ", experiment " + std::to_string(experiment_);
    if (experiments_ > 0) text += " of " + std::to_string(experiments_);
  }
  return text + ", " + duration(std::chrono::duration<double>(now - started_).count()) + "]";
}

double SearchReporter::seconds_left(const SearchProgress& p, Clock::time_point now) const {
  double left = p.train_steps_per_second > 0
                    ? std::max(0.0, step_budget_ - static_cast<double>(p.train_steps)) / p.train_steps_per_second
                    : INFINITY;
  if (max_seconds_ > 0) left = std::min(left, max_seconds_ - std::chrono::duration<double>(now - started_).count());
  return left;
}

void SearchReporter::status(const std::string& text, Clock::time_point now, const std::string& stage) {
  if (options_.quiet) return;
  if (options_.live) {
    if (now - last_status_ < std::chrono::milliseconds(250)) return;
    std::fprintf(stderr, "\r\033[K%s", text.c_str());
    live_shown_ = true;
  } else {
    // A log gets a line when a stage begins and then one every 10 s.
    if (stage == stage_ && now - last_status_ < std::chrono::seconds(10)) return;
    std::fprintf(stderr, "%s\n", text.c_str());
  }
  stage_ = stage;
  last_status_ = now;
}

void SearchReporter::clear_live() {
  if (live_shown_) std::fprintf(stderr, "\r\033[K");
  live_shown_ = false;
}

}  // namespace amlz::cli
