// SPDX-License-Identifier: Apache-2.0
// The progress figure of a run directory (progress.svg): best and mean fitness against individuals and against
// time, experiment boundaries, and the moments the best algorithm improved, annotated with its size — the shape of
// the AutoML-Zero paper's progress figures. Read from the directory's files, so `amlz plot` and the live plot of a
// running search draw the same picture. The SVG is self-contained: no script, font file or link.
#pragma once
#include <string>
#include <vector>

namespace amlz::cli {

struct ProgressPoint {
  int experiment = 0;
  double individuals = 0;  // over the whole run (each experiment continues where the last ended)
  double seconds = 0;      // since the run started
  double best = 0, mean = 0;
};

// A new best of an experiment (best_history.csv).
struct BestChange {
  int experiment = 0;
  double individuals = 0, seconds = 0;  // over the whole run, as in ProgressPoint
  double fitness = 0;
  int instructions = 0, live_instructions = 0;
};

// Where an experiment's search began, on both axes.
struct ExperimentStart {
  int experiment = 0;
  double start_individuals = 0, start_seconds = 0;
};

struct RunData {
  std::vector<ProgressPoint> progress;
  std::vector<ExperimentStart> experiments;
  std::vector<BestChange> best_changes;
  std::string config;    // the config file the run was started from ("" if unknown)
  std::string seed;      // seed.txt
  std::string backend;   // summary.json's, else run.json's, else config.toml's
  std::string tasks;     // "10 linear tasks, F=4", from config.toml
  std::string search;    // "evolution, P=1000, T=10"
  std::string outcome;   // from summary.json when the run has ended: "final fitness 0.999994 (success)"
  std::string warnings;  // lines of the files that could not be read
};

// Reads whatever of progress.csv, best_history.csv, config.toml, seed.txt, run.json and summary.json the directory
// holds (a running search has only some of them). amlz::Error if `dir` is not a directory or has no progress.csv.
RunData read_run_data(const std::string& dir);

// The figure, as SVG text (valid XML).
std::string render_progress_svg(const RunData& data);

}  // namespace amlz::cli
