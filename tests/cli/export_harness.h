// SPDX-License-Identifier: Apache-2.0
// The C++ side of the export test (export_test.cpp): reads a prediction trace of `amlz eval --predictions` (the
// tasks' data), runs an algorithm exported by `amlz export --format cpp` on every task through its own driver
// (run_task), and writes what it predicted in the trace's format. Compiled by the test with the system's g++, apart
// from amlz's build, and includes nothing of amlz: only the exported headers.
//
//   #include "export_harness.h"
//   #include "p0.h"  // amlz export --namespace p0
//   int main(int argc, char** argv) { return amlz_harness::main(argc, argv, {AMLZ_HARNESS_RUNNER(p0, 4)}); }
//   ./harness TRACE0 OUT0 [TRACE1 OUT1 ...]   (one pair per runner)
#pragma once
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <functional>
#include <sstream>
#include <string>
#include <vector>

namespace amlz_harness {

struct Task {
  uint32_t index = 0;
  int features = 0, epochs = 1;
  bool accuracy = false;
  float max_abs_error = 100.0f;
  std::vector<float> train_x, train_y, valid_x, valid_y;
  std::vector<uint32_t> order;
};

struct Run {
  std::vector<float> train;
  std::vector<std::vector<float>> valid;
  double fitness = 0;
  bool stopped = false;
};

using Runner = std::function<Run(const Task&, uint32_t seed)>;

inline std::vector<float> floats(std::istringstream& in) {
  std::vector<float> out;
  std::string word;
  while (in >> word) out.push_back(std::strtof(word.c_str(), nullptr));  // strtof reads nan and inf
  return out;
}

// The tasks of a trace file, and its evaluation seed.
inline std::vector<Task> read_trace(const std::string& path, uint32_t& seed) {
  std::ifstream file(path);
  if (!file) {
    std::fprintf(stderr, "cannot read %s\n", path.c_str());
    std::exit(2);
  }
  std::vector<Task> tasks;
  std::string line;
  while (std::getline(file, line)) {
    std::istringstream in(line);
    std::string key;
    in >> key;
    if (key == "seed") {
      in >> seed;
    } else if (key == "task") {
      Task t;
      std::string word, eval;
      in >> t.index >> word >> t.features >> word >> eval >> word >> t.epochs;
      t.accuracy = eval == "accuracy";
      while (in >> word)
        if (word == "max_abs_error") in >> t.max_abs_error;
      tasks.push_back(t);
    } else if (key == "train_x") {
      tasks.back().train_x = floats(in);
    } else if (key == "train_y") {
      tasks.back().train_y = floats(in);
    } else if (key == "valid_x") {
      tasks.back().valid_x = floats(in);
    } else if (key == "valid_y") {
      tasks.back().valid_y = floats(in);
    } else if (key == "order") {
      uint32_t k;
      while (in >> k) tasks.back().order.push_back(k);
    }
  }
  return tasks;
}

inline void write_floats(std::ostream& out, const std::string& key, const std::vector<float>& x) {
  out << key;
  char buf[32];
  for (float v : x) {
    std::snprintf(buf, sizeof buf, " %.9g", static_cast<double>(v));
    out << buf;
  }
  out << "\n";
}

inline int main(int argc, char** argv, const std::vector<Runner>& runners) {
  if (argc != 1 + 2 * static_cast<int>(runners.size())) {
    std::fprintf(stderr, "usage: %s TRACE OUT ... (%zu pairs)\n", argv[0], runners.size());
    return 2;
  }
  for (size_t r = 0; r < runners.size(); ++r) {
    uint32_t seed = 0;
    const std::vector<Task> tasks = read_trace(argv[1 + 2 * r], seed);
    std::ofstream out(argv[2 + 2 * r]);
    for (const Task& t : tasks) {
      const Run run = runners[r](t, seed);
      out << "task " << t.index << "\n";
      write_floats(out, "train_predictions", run.train);
      for (size_t e = 0; e < run.valid.size(); ++e)
        write_floats(out, "valid_predictions " + std::to_string(e), run.valid[e]);
      char buf[64];
      std::snprintf(buf, sizeof buf, "%.17g", run.fitness);
      out << "result " << buf << " " << (run.stopped ? "stopped" : "ran") << "\n";
    }
    if (!out) return 1;
  }
  return 0;
}

}  // namespace amlz_harness

// A Runner for the code exported into namespace `ns`, on tasks of F features (one instantiation per program keeps
// the compile short).
#define AMLZ_HARNESS_RUNNER(ns, F)                                                             \
  [](const amlz_harness::Task& t, uint32_t seed) {                                             \
    if (t.features != (F)) {                                                                   \
      std::fprintf(stderr, "%s: the trace has F=%d, the runner F=%d\n", #ns, t.features, (F)); \
      std::exit(2);                                                                            \
    }                                                                                          \
    ns::TaskOptions o;                                                                         \
    o.epochs = t.epochs;                                                                       \
    o.order = &t.order;                                                                        \
    o.classification = t.accuracy;                                                             \
    o.max_abs_error = t.max_abs_error;                                                         \
    o.seed = seed;                                                                             \
    o.task = t.index;                                                                          \
    const ns::TaskRun r = ns::run_task<F>(t.train_x, t.train_y, t.valid_x, t.valid_y, o);      \
    return amlz_harness::Run{r.train_predictions, r.valid_predictions, r.fitness, r.stopped};  \
  }
