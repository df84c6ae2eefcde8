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

  const std::string& path() const { return path_; }
  std::string file(const std::string& name) const { return path_ + "/" + name; }

  void write(const std::string& name, const std::string& content);  // atomically
  void append_progress(int experiment, const SearchProgress& p);
  void write_best(const Algorithm& a, const std::string& note);
  // An SVG line chart of best and mean fitness against individuals, from progress.csv's rows so far. Written
  // every few seconds by append_progress(); call it once more when the run ends.
  void write_plot();
  // For a run that failed before it started: removes what this object created (the directory itself if it made
  // it, else only the files it wrote).
  void discard();
  bool has_progress() const { return !rows_.empty(); }

 private:
  struct Row {
    int experiment;
    double individuals, best, mean;
  };
  std::string path_;
  bool created_ = false;              // the directory did not exist before
  std::vector<std::string> written_;  // files this object wrote
  std::ofstream progress_;
  std::vector<Row> rows_;
  double experiment_base_ = 0;  // individuals of the experiments before the current one
  std::chrono::steady_clock::time_point last_plot_{};
};

// runs/<date>-<time>-seed<seed>
std::string default_run_directory(uint32_t seed);

}  // namespace amlz
