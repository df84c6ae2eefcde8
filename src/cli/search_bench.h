// SPDX-License-Identifier: Apache-2.0
// The whole-search workload of `amlz bench`: time to rediscover linear regression, per backend.
#pragma once
#include <atomic>
#include <functional>
#include <string>
#include <vector>

#include "amlz/eval/cpu_evaluator.h"
#include "amlz/eval/evaluator.h"

namespace amlz::cli {

struct BenchRun {
  Backend backend;
  int threads;                                          // CPU threads (0 = all); ignored for CUDA
  CpuInterpreter interpreter = CpuInterpreter::Vector;  // `--backends cpu-reference`: the reference
};

// Runs `config_path` (normally configs/linear_regression.toml) with seeds 1..seeds on each backend.
// A set `stop` flag ends it after the current seed's run (which stops early too).
void run_search_bench(const std::vector<BenchRun>& runs, const std::string& config_path, int seeds,
                      const std::function<void(const std::string&)>& emit, const std::atomic<bool>* stop);

}  // namespace amlz::cli
