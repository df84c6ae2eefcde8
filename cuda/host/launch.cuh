// SPDX-License-Identifier: Apache-2.0
// Launching the evaluation kernel for one feature size: the choice of L (lanes per task) and of the launch shape
// from the device's limits and the launch's programs (the planner), and the launch itself. Host code only; private
// to cuda/.
#pragma once
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include <cuda_runtime.h>

#include "kernel_args.cuh"

namespace amlz::cuda {

// What the device offers (read once per evaluator).
struct DeviceLimits {
  int sm_count = 0;
  size_t smem_per_sm = 0;         // sharedMemPerMultiprocessor
  size_t smem_per_block_max = 0;  // sharedMemPerBlockOptin: the most one block may ask for
  size_t free_memory = 0;         // at evaluator creation, bounds the global-memory path
};

// The memory one warp needs, as a function of L, over the programs of one launch.
struct MemoryNeed {
  struct Counts {
    uint32_t scalars, vectors, matrices;  // matrices includes the matmul scratch matrix when the program needs it
  };
  std::vector<Counts> programs;                            // one entry per distinct program of the launch
  uint32_t words_per_warp(int features, int lanes) const;  // max over programs, rounded up to 128 floats
};

struct LaunchPlan {
  int features = 0;
  int lanes = 0;
  bool global_memory = false;
  int warps_per_block = 0;
  int blocks = 0;
  int warps_per_sm = 0;  // resident, from the occupancy calculator
  uint32_t words_per_warp = 0;
  size_t smem_bytes = 0;       // dynamic shared memory per block
  size_t global_words = 0;     // global program memory of the whole launch (global path)
  int carveout_percent = 100;  // shared memory asked of the unified L1/shared array (the rest is L1)
  std::string why;             // how L was chosen, printed with CudaEvaluatorOptions::verbose
};

// Chooses L (unless requested_lanes > 0), the path and the launch shape for n_jobs warp jobs, given how many
// work items the programs of the launch have (their median, which sets how many tiles a warp can fill).
// requested_lanes > 0 is honoured when the pair is compiled, else the nearest compiled L is used.
LaunchPlan plan_launch(const DeviceLimits& dev, int features, int requested_lanes, const MemoryNeed& need,
                       uint32_t median_items_per_program);
// Grid size for a plan, once the number of jobs is known (jobs depend on L through the tiles per warp).
void finish_plan(LaunchPlan& plan, const DeviceLimits& dev, size_t n_jobs);

// Launches one evaluation kernel. The only place that checks for launch errors.
void launch_evaluate(const LaunchPlan& plan, const KernelArgs& args, cudaStream_t stream);

// One line on stderr: the plan, for CudaEvaluatorOptions::verbose.
void print_plan(const LaunchPlan& plan, size_t n_jobs);

}  // namespace amlz::cuda
