// SPDX-License-Identifier: Apache-2.0
// `amlz bench` workloads drawn from real searches (issue: CPU evaluator on real search workloads): populations saved
// at the end of real searches (bench/populations/, and how to make them again), the fixed-budget demo experiment with
// and without FEC, and the host's costs per individual in a FEC search.
#pragma once
#include <functional>
#include <string>
#include <vector>

#include "bench/workloads.h"
#include "cli/search_bench.h"

namespace amlz::cli {

using Emit = std::function<void(const std::string&)>;

// A population saved from a real search: the final population of `amlz search ARGS` (one experiment, fixed seed).
struct SavedPopulation {
  std::string workload;           // e.g. "population_demo_f4"
  std::string file;               // in the populations directory, e.g. "demo_f4.txt"
  std::string description;        // one line for the table
  std::vector<std::string> args;  // the search's arguments
};
const std::vector<SavedPopulation>& saved_populations();

// Runs each search of saved_populations() on the CPU vector backend and writes its final population into `dir`
// (the files are the same whatever `threads` is: one seed gives one run).
void save_populations(const std::string& dir, int threads, const Emit& emit);

// A saved population on its search's search tasks (their default seeds), read from `dir`; `programs` as in
// bench::population_workload.
bench::Workload saved_population_workload(const SavedPopulation& p, const std::string& dir, int programs);

// One experiment of `config_path` (the demo: 2e8 training steps) with FEC off, then on, for seeds 1..seeds on each
// run: wall seconds of the whole experiment (search, select and final evaluations), individuals/s and train
// steps/s; then the min and median per (run, FEC).
void run_experiment_bench(const std::vector<BenchRun>& runs, const std::string& config_path, int seeds,
                          const Emit& emit);

// What a FEC search spends per individual on the host, measured stage by stage on children of the saved demo
// population with the demo config, in batches of kHostBenchBatch, for each host thread count (0 = all cores):
// tournament + mutation (serial), then the search's own prepare() and evaluate() with FEC on a CPU evaluator of
// as many threads, timed by the CandidateEvaluator (HostTimings): compile + verify + budget + copy (parallel), the
// packing offsets (serial), the fingerprint pre-run (the evaluator's), the FEC keys (parallel), the cache
// (serial), the evaluators' own verification of the batch at each of their two calls (serial, on the host for
// CUDA too), the full evaluation of the misses (device work). Median of `repeats`, wall and CPU time; one JSON line
// per thread count with an Amdahl extrapolation to 16 threads from CPU time: serial + parallel / 16.
inline constexpr size_t kHostBenchBatch = 1024;
void run_host_costs_bench(const std::string& config_path, const std::string& populations_dir, int repeats,
                          const std::vector<int>& thread_counts, bool quick, const Emit& emit);

}  // namespace amlz::cli
