// SPDX-License-Identifier: Apache-2.0
// The whole-search workload of `amlz bench`: time to rediscover linear regression, per backend.
#pragma once
#include <functional>
#include <string>
#include <vector>

#include "amlz/eval/evaluator.h"

namespace amlz::cli {

struct BenchRun {
  Backend backend;
  int threads;  // CPU threads (0 = all); ignored for CUDA
};

// Runs `config_path` (normally configs/linear_regression.toml) with seeds 1..seeds on each backend.
void run_search_bench(const std::vector<BenchRun>& runs, const std::string& config_path, int seeds,
                      const std::function<void(const std::string&)>& emit);

}  // namespace amlz::cli
