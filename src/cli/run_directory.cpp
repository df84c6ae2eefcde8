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
#include <sys/file.h>
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
  written_.emplace_back("progress.csv");
  lock();
  progress_.open(file("progress.csv"), std::ios::app);
  if (!progress_) throw Error("cannot write '" + printable(file("progress.csv")) + "': " + std::strerror(errno));
  progress_ << "experiment,individuals,elapsed_s,train_steps,best_fitness,mean_fitness,stdev_fitness,"
               "individuals_per_s,train_steps_per_s,fec_hit_rate,run_individuals,run_elapsed_s\n"
            << std::flush;
}

namespace {

// Cuts `path` back to its header line and `rows` more complete lines (fewer if it has fewer); returns the rows kept.
uint64_t keep_rows(const std::string& path, uint64_t rows) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw Error("cannot read '" + printable(path) + "': " + std::strerror(errno));
  std::ostringstream os;
  os << in.rdbuf();
  const std::string text = os.str();
  size_t end = 0;
  uint64_t lines = 0;
  for (size_t nl; lines < rows + 1 && (nl = text.find('\n', end)) != std::string::npos; ++lines) end = nl + 1;
  if (::truncate(path.c_str(), static_cast<off_t>(end)) != 0)
    throw Error("cannot truncate '" + printable(path) + "': " + std::strerror(errno));
  return lines == 0 ? 0 : lines - 1;
}

}  // namespace

RunDirectory::RunDirectory(std::string path, const State& state) : path_(std::move(path)), resumed_(true) {
  std::error_code ec;
  if (!fs::is_directory(path_, ec)) throw Error("run directory '" + printable(path_) + "' does not exist");
  lock();
  progress_rows_ = keep_rows(file("progress.csv"), state.progress_rows);
  progress_.open(file("progress.csv"), std::ios::app);
  if (!progress_) throw Error("cannot write '" + printable(file("progress.csv")) + "': " + std::strerror(errno));
  if (state.best_rows > 0 && fs::exists(file("best_history.csv"), ec)) {
    best_rows_ = keep_rows(file("best_history.csv"), state.best_rows);
    best_history_.open(file("best_history.csv"), std::ios::app);
    if (!best_history_)
      throw Error("cannot write '" + printable(file("best_history.csv")) + "': " + std::strerror(errno));
  } else {
    fs::remove(file("best_history.csv"), ec);  // opened afresh at the first record
  }
  experiment_ = state.experiment;
  experiment_base_ = state.experiment_base;
  experiment_individuals_ = state.experiment_individuals;
  record_ = state.record;
  has_record_ = state.has_record;
  started_ = std::chrono::steady_clock::now() - std::chrono::duration_cast<std::chrono::steady_clock::duration>(
                                                    std::chrono::duration<double>(state.seconds));
}

RunDirectory::~RunDirectory() {
  if (lock_fd_ >= 0) ::close(lock_fd_);
}

void RunDirectory::lock() {
  lock_fd_ = ::open(path_.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (lock_fd_ < 0) throw Error("cannot open run directory '" + printable(path_) + "': " + std::strerror(errno));
  // A file system without locks (some network ones) is not an error: the lock only guards against mistakes.
  if (::flock(lock_fd_, LOCK_EX | LOCK_NB) != 0 && errno == EWOULDBLOCK)
    throw Error("run directory '" + printable(path_) + "' is being used by another run");
}

RunDirectory::State RunDirectory::state() const {
  State s;
  s.progress_rows = progress_rows_;
  s.best_rows = best_rows_;
  s.experiment = experiment_;
  s.experiment_base = experiment_base_;
  s.experiment_individuals = experiment_individuals_;
  s.record = record_;
  s.has_record = has_record_;
  s.seconds = run_seconds();
  return s;
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
  if (resumed_) return;  // an earlier session's files are the run's
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
    written_.emplace_back("best_history.csv");
  }
  char line[256];
  CompileOptions compile_options;
  compile_options.labels = labels_;
  std::snprintf(line, sizeof line, "%d,%lld,%.3f,%.0f,%.3f,%.9f,%zu,%zu\n", experiment,
                static_cast<long long>(p.individuals), p.elapsed_seconds, individuals, run_seconds(), best.fitness,
                best.algorithm.size(), compile(best.algorithm, compile_options).code.size());
  best_history_ << line << std::flush;
  ++best_rows_;
  if (!best_history_)
    throw Error("cannot write '" + printable(file("best_history.csv")) + "': " + std::strerror(errno));
}

void RunDirectory::write_plot() { write("progress.svg", cli::render_progress_svg(cli::read_run_data(path_))); }

}  // namespace amlz
