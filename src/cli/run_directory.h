// SPDX-License-Identifier: Apache-2.0
// The directory a search run writes: effective config, seed, progress.csv, best_algorithm.txt (readable by
// `amlz eval --algorithm`), summary.json and a progress plot. Every file is complete at every moment: rewritten
// files go through a temporary and a rename, and progress.csv is flushed line by line, so an interrupted run
// leaves a readable directory.
#pragma once
#include <chrono>
#include <fstream>
#include <string>
#include <vector>

#include "amlz/core/algorithm.h"
#include "amlz/search/search.h"

namespace amlz {

class RunDirectory {
 public:
  // Creates the directory (and its parents), or takes an existing EMPTY one; a file, a non-empty directory or one
  // another run has just claimed is an amlz::Error, so nothing of the user's is ever overwritten.
  explicit RunDirectory(std::string path);
  ~RunDirectory();
  RunDirectory(const RunDirectory&) = delete;
  RunDirectory& operator=(const RunDirectory&) = delete;

  // What a checkpoint records of the directory: the rows written so far and what places a row in the whole run.
  struct State {
    uint64_t progress_rows = 0;  // data rows of progress.csv
    uint64_t best_rows = 0;      // data rows of best_history.csv
    int experiment = -1;
    double experiment_base = 0;
    int64_t experiment_individuals = 0;
    double record = 0;
    bool has_record = false;
    double seconds = 0;  // run time so far
  };
  State state() const;
  // Takes the existing directory of a run being resumed: progress.csv and best_history.csv are cut back to the rows
  // `state` counts (rows written after that checkpoint are written again by the resumed run), and continue from
  // there. Refused while another process uses the directory.
  RunDirectory(std::string path, const State& state);

  const std::string& path() const { return path_; }
  std::string file(const std::string& name) const { return path_ + "/" + name; }

  void write(const std::string& name, const std::string& content);  // atomically
  // run.json: the config file the run was started from and the backend, for the plot's title.
  void describe_run(const std::string& config_file, const std::string& backend);
  // A row of progress.csv; its last columns place it in the whole run (individuals of all experiments so far,
  // seconds since this directory was made).
  void append_progress(int experiment, const SearchProgress& p);
  void write_best(const Algorithm& a, const std::string& note);
  // After every batch: when the population's best beats the experiment's record, a row of best_history.csv
  // (where in the run, fitness, instructions and live instructions), which the plot marks.
  void track_best(int experiment, const SearchProgress& p, const Individual& best);
  // The tasks' label kind (bytecode.h), which decides which instructions are live; scalar labels by default.
  void set_labels(LabelKind labels) { labels_ = labels; }
  // progress.svg from the directory's files so far (cli/progress_plot.h). Written every few seconds by
  // append_progress(); call it once more when the run ends.
  void write_plot();
  // For a run that failed before it started: removes what this object created (the directory itself if it made
  // it, else only the files it wrote).
  void discard();
  bool has_progress() const { return progress_rows_ > 0; }

 private:
  // Individuals over the whole run at `individuals` of `experiment` (each experiment starts where the last ended).
  double run_individuals(int experiment, int64_t individuals);
  double run_seconds() const;

  void lock();  // an exclusive lock on the directory, held while this object lives
  std::string path_;
  int lock_fd_ = -1;
  bool resumed_ = false;              // an earlier session's directory: discard() leaves it alone
  bool created_ = false;              // the directory did not exist before
  std::vector<std::string> written_;  // files this object wrote
  std::ofstream progress_;
  std::ofstream best_history_;  // opened at the first row
  size_t progress_rows_ = 0;
  size_t best_rows_ = 0;
  int experiment_ = -1;                 // the experiment of the latest progress or batch
  double experiment_base_ = 0;          // individuals of the experiments before it
  int64_t experiment_individuals_ = 0;  // its individuals so far
  double record_ = 0;                   // its best fitness so far (best_history.csv)
  bool has_record_ = false;
  LabelKind labels_ = LabelKind::Scalar;
  std::chrono::steady_clock::time_point started_ = std::chrono::steady_clock::now();
  std::chrono::steady_clock::time_point last_plot_{};
};

// runs/<date>-<time>-seed<seed>
std::string default_run_directory(uint32_t seed);

}  // namespace amlz
