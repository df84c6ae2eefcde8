// SPDX-License-Identifier: Apache-2.0
#include "cli/run_directory.h"

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <fcntl.h>
#include <filesystem>
#include <sstream>
#include <sys/stat.h>
#include <unistd.h>

#include "amlz/core/algorithm_text.h"
#include "amlz/core/compile.h"
#include "amlz/error.h"
#include "cli/json.h"
#include "cli/progress_plot.h"

namespace amlz {

namespace fs = std::filesystem;

std::string default_run_directory(uint32_t seed) {
  const std::time_t now = std::chrono::system_clock::to_time_t(std::chrono::system_clock::now());
  std::tm tm{};
  localtime_r(&now, &tm);
  char buf[64];
  std::strftime(buf, sizeof buf, "%Y%m%d-%H%M%S", &tm);
  return std::string("runs/") + buf + "-seed" + std::to_string(seed);
}

RunDirectory::RunDirectory(std::string path) : path_(std::move(path)) {
  const std::string shown = printable(path_);
  std::error_code ec;
  const fs::path leaf(path_);
  if (leaf.has_parent_path()) fs::create_directories(leaf.parent_path(), ec);
  if (ec) throw Error("cannot create the parent of run directory '" + shown + "': " + ec.message());
  if (::mkdir(path_.c_str(), 0777) == 0) {
    created_ = true;
  } else if (errno != EEXIST) {
    throw Error("cannot create run directory '" + shown + "': " + std::strerror(errno));
  } else if (!fs::is_directory(path_, ec)) {
    throw Error("--out '" + shown + "' exists and is not a directory");
  } else if (!fs::is_empty(path_, ec) || ec) {
    // A user's files (an earlier run's summary, their own notes) are never overwritten.
    throw Error("run directory '" + shown + "' already exists and is not empty; choose another --out or remove it");
  }
  // Created exclusively: of two runs started on the same empty directory, the second stops here.
  const int fd = ::open(file("progress.csv").c_str(), O_WRONLY | O_CREAT | O_EXCL, 0666);
  if (fd < 0)
    throw Error(errno == EEXIST ? "run directory '" + shown + "' is being used by another run"
                                : "cannot write '" + printable(file("progress.csv")) + "': " + std::strerror(errno));
  ::close(fd);
  written_.push_back("progress.csv");
  progress_.open(file("progress.csv"), std::ios::app);
  if (!progress_) throw Error("cannot write '" + printable(file("progress.csv")) + "': " + std::strerror(errno));
  progress_ << "experiment,individuals,elapsed_s,train_steps,best_fitness,mean_fitness,stdev_fitness,"
               "individuals_per_s,train_steps_per_s,fec_hit_rate,run_individuals,run_elapsed_s\n"
            << std::flush;
}

void RunDirectory::write(const std::string& name, const std::string& content) {
  const std::string tmp = file("." + name + ".tmp");
  {
    std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
    out << content;
    out.flush();
    if (!out) throw Error("cannot write '" + printable(tmp) + "': " + std::strerror(errno));
  }
  std::error_code ec;
  fs::rename(tmp, file(name), ec);
  if (ec) throw Error("cannot replace '" + printable(file(name)) + "': " + ec.message());
  if (std::find(written_.begin(), written_.end(), name) == written_.end()) written_.push_back(name);
}

void RunDirectory::discard() {
  progress_.close();
  best_history_.close();
  std::error_code ec;
  if (created_) {
    fs::remove_all(path_, ec);
    return;
  }
  for (const std::string& name : written_) fs::remove(file(name), ec);
}

void RunDirectory::describe_run(const std::string& config_file, const std::string& backend) {
  write("run.json", JsonObject().add("config", config_file).add("backend", backend).str() + "\n");
}

double RunDirectory::run_individuals(int experiment, int64_t individuals) {
  if (experiment != experiment_) {
    if (experiment_ != -1) experiment_base_ += static_cast<double>(experiment_individuals_);
    experiment_ = experiment;
    experiment_individuals_ = 0;
    has_record_ = false;
  }
  experiment_individuals_ = std::max(experiment_individuals_, individuals);
  return experiment_base_ + static_cast<double>(individuals);
}

double RunDirectory::run_seconds() const {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - started_).count();
}

void RunDirectory::append_progress(int experiment, const SearchProgress& p) {
  char line[512];
  std::snprintf(line, sizeof line, "%d,%lld,%.3f,%llu,%.9f,%.9f,%.9f,%.6g,%.6g,%.6f,%.0f,%.3f\n", experiment,
                static_cast<long long>(p.individuals), p.elapsed_seconds,
                static_cast<unsigned long long>(p.train_steps), p.best, p.mean, p.stdev, p.individuals_per_second,
                p.train_steps_per_second, p.fec_hit_rate, run_individuals(experiment, p.individuals), run_seconds());
  progress_ << line << std::flush;
  if (!progress_) throw Error("cannot write '" + printable(file("progress.csv")) + "': " + std::strerror(errno));
  ++progress_rows_;
  // Rewriting the whole SVG is O(rows): at most every few seconds during a run, and once more at the end.
  const auto now = std::chrono::steady_clock::now();
  if (now - last_plot_ >= std::chrono::seconds(5)) {
    last_plot_ = now;
    write_plot();
  }
}

void RunDirectory::write_best(const Algorithm& a, const std::string& note) {
  write("best_algorithm.txt", "# " + note + "\n" + to_text(a));
}

void RunDirectory::track_best(int experiment, const SearchProgress& p, const Individual& best) {
  const double individuals = run_individuals(experiment, p.individuals);
  if (has_record_ && !(best.fitness > record_)) return;
  has_record_ = true;
  record_ = best.fitness;
  if (!best_history_.is_open()) {
    best_history_.open(file("best_history.csv"), std::ios::trunc);
    best_history_ << "experiment,individuals,elapsed_s,run_individuals,run_elapsed_s,fitness,instructions,"
                     "live_instructions\n";
    written_.push_back("best_history.csv");
  }
  char line[256];
  CompileOptions compile_options;
  compile_options.labels = labels_;
  std::snprintf(line, sizeof line, "%d,%lld,%.3f,%.0f,%.3f,%.9f,%zu,%zu\n", experiment,
                static_cast<long long>(p.individuals), p.elapsed_seconds, individuals, run_seconds(), best.fitness,
                best.algorithm.size(), compile(best.algorithm, compile_options).code.size());
  best_history_ << line << std::flush;
  if (!best_history_)
    throw Error("cannot write '" + printable(file("best_history.csv")) + "': " + std::strerror(errno));
}

void RunDirectory::write_plot() { write("progress.svg", cli::render_progress_svg(cli::read_run_data(path_))); }

}  // namespace amlz
