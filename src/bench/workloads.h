// SPDX-License-Identifier: Apache-2.0
// The evaluator workloads `amlz bench` measures on every available backend (issues: core and GPU evaluator).
// Each workload is a batch of compiled programs and a task set; the measurement is the wall time of
// Evaluator::evaluate over all (program, task) pairs, median of several repeats after a warm-up.
#pragma once
#include <string>
#include <vector>

#include "amlz/core/algorithm.h"
#include "amlz/core/program.h"
#include "amlz/eval/evaluator.h"
#include "amlz/tasks/task.h"

namespace amlz::bench {

struct Workload {
  std::string name;         // e.g. "demo_f4", "seed_nn_f8"
  std::string description;  // one line for the table
  ProgramBatch batch;
  TaskSet tasks;
};

// (a) the demo space of spec §12: F=4, 10 linear tasks, 100/100, RANDOM programs of sizes 10/2/8 from the
// demo's 6 ops. Flattering: dead-code removal leaves ~3 of their 20 instructions, where the population at the end
// of a demo experiment keeps 11 (population_workload below is the realistic measure); (b) the seed's 2-layer NN program
// on 32 nn_teacher tasks, 1000 train / 100 valid, at F; (c) the paper's scale: F=16, 10 nn_teacher tasks, 8000 / 1000,
// random programs of sizes 21/21/45 from run_baseline.sh's op sets. `programs` scales the batch (the GPU wants
// thousands).
Workload demo_workload(int programs);
Workload seed_nn_workload(int features, int programs);
Workload paper_scale_workload(int programs);
// (d) real data: the paper-scale programs of (c) on 10 projected Fashion-MNIST pair tasks (F=16, 8000 / 2000,
// pairs drawn as configs/fashion_mnist_basic.toml draws them), read through the task cache. Throws amlz::Error
// when the dataset is not installed.
Workload fashion_mnist_workload(int programs);

// A population saved from a real search (bench/populations/*.txt, written by write_population) on `tasks`: every
// individual once, then repeated up to `programs` (0: each once).
Workload population_workload(const std::string& name, const std::string& description, const std::string& path,
                             const TaskSpec& tasks, int programs);

// A population file: the algorithms in amlz's text form, each preceded by a comment line
// "# individual K: fitness F" and the whole preceded by comment lines saying where it came from.
struct SavedIndividual {
  Algorithm algorithm;
  double fitness = 0;
};
void write_population(const std::string& path, const std::vector<std::string>& header,
                      const std::vector<SavedIndividual>& individuals);
std::vector<SavedIndividual> read_population(const std::string& path);

struct Measurement {
  double seconds = 0;           // median over repeats
  double train_steps = 0;       // per evaluate() call
  double evaluations = 0;       // work items per call
  double instructions = 0;      // executed live instructions per call (setup + train + validation)
  double fitness_checksum = 0;  // sum of fitnesses: two backends should agree closely
};

Measurement measure(Evaluator& evaluator, const Workload& w, int repeats);

}  // namespace amlz::bench
