// SPDX-License-Identifier: Apache-2.0
// `amlz bench --workloads islands`: what islands across processes buy. Run it under mpirun to measure N ranks:
//   mpirun -np 2 amlz bench --workloads islands
// Throughput: one fixed-budget search of the config with K = max(4, N) islands (migrating), first on rank 0 alone
// (one process, one thread), then spread over the N ranks (one thread each): individuals/s of each, the scaling
// efficiency (rate on N / (N x rate on 1)) and the CPU efficiency (CPU seconds on 1 / CPU seconds of all N ranks:
// what spreading costs in work, whatever else runs on the machine). Rediscovery: the whole experiment driver on the
// config (normally configs/linear_regression.toml) with K = 1, 4 and 16 islands migrating, and 16 islands never
// migrating, over seeds 1..seeds, each run given at most `max_experiments` experiments (the same training steps
// whatever K, and a budget that does not depend on the machine's load): success rate, and median training steps and
// time of the successes (a run that reaches the time limit first counts as a failure too). Island counts below N are
// skipped. JSON lines from rank 0, a table on stderr. The workloads islands_throughput and islands_rediscovery are each
// part alone.
#pragma once
#include <atomic>
#include <functional>
#include <string>

#include "dist/launch.h"

namespace amlz::cli {

struct IslandsBenchOptions {
  std::string config_path;
  int seeds = 3;
  int repeats = 3;           // timed repeats of the throughput search (median reported)
  int max_experiments = 10;  // per rediscovery run
  double max_seconds = 600;  // per rediscovery run, a safety net
  bool quick = false;        // a smaller throughput budget, one rediscovery seed per variant
};

// `part`: "islands" (both), "islands_throughput" or "islands_rediscovery".
void run_islands_bench(const std::string& part, const IslandsBenchOptions& options, dist::ProcessGroup* group,
                       const std::function<void(const std::string&)>& emit, const std::atomic<bool>* stop);

}  // namespace amlz::cli
