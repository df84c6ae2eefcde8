// SPDX-License-Identifier: Apache-2.0
// The planner (the choice of L and of the launch shape), the launch and its one error check.
#include <algorithm>
#include <cstdio>
#include <string>

#include "amlz/error.h"
#include "host/cuda_check.cuh"
#include "host/kernel_registry.cuh"
#include "host/launch.cuh"

namespace amlz::cuda {

// ---- Choosing L (lanes per task) ---------------------------------------------------------------------------------
// The interpreter is bound by shared-memory wavefronts (one 128-byte wavefront per SM per clock) and by the
// per-instruction overhead (fetch, decode, dispatch: a fixed number of issue slots per warp, whatever L is). Per
// task-step, with L lanes per task, a program touching m matrix words, v vector words and s scalars per step costs
// roughly
//     (L/32) * [ m*F*F/L + v*F/L   (elementwise: full 128-byte wavefronts for any L <= F)
//              + x*F               (ops reading other lanes' vectors: M*v, outer; broadcast, only 32/L words used)
//              + s + n_instr*c ]   (scalars and dispatch, paid once per warp for 32/L tasks)
// so the elementwise part does not depend on L, the broadcast part grows with L, and the dispatch part is divided
// by the tasks per warp. Fewer lanes per task is therefore never slower per task-step AS LONG AS the warps fill:
//  (a) tiles: a warp holds 32/L tasks of ONE program; if the program has fewer work items the rest idle. So L is
//      raised until 32/L <= the median items per program, rounded up to a power of two.
//  (b) occupancy: a warp's shared memory is 32/L times a task's memory; with too few warps per SM nothing hides
//      the shared/L1 latency. So L is raised until kMinWarpsPerSm warps fit (or the registers allow).
// What this rule picks for the seed programs at each F, the per-warp memory and occupancy behind it, and the
// throughput bound that all-shared-memory program memory implies, are estimates in bench/RESULTS.md ("CUDA design
// figures"); both knobs (kMinWarpsPerSm and the compiled pairs in kernels/instantiations.cuh) are meant to be
// re-tuned from measurements there. CudaEvaluatorOptions::lanes_per_task (amlz bench --cuda-lanes) forces one L
// for measuring.
namespace {

constexpr int kMinWarpsPerSm = 16;

uint32_t next_pow2(uint32_t x) {
  uint32_t p = 1;
  while (p < x && p < (1u << 31)) p <<= 1;
  return p;
}

struct Shape {
  int warps_per_block = 0;
  int warps_per_sm = 0;
  size_t smem = 0;
};

// Lets the kernel use all the shared memory a block may have. The occupancy calculator assumes the largest
// carve-out; launch_evaluate then asks for only what the plan uses, so the rest of the array stays L1 (instruction
// fetch and task data go through it).
void prepare_kernel(const void* kernel, const DeviceLimits& dev) {
  AMLZ_CUDA_CHECK(cudaFuncSetAttribute(kernel, cudaFuncAttributeMaxDynamicSharedMemorySize,
                                       static_cast<int>(dev.smem_per_block_max)));
  AMLZ_CUDA_CHECK(cudaFuncSetAttribute(kernel, cudaFuncAttributePreferredSharedMemoryCarveout,
                                       static_cast<int>(cudaSharedmemCarveoutMaxShared)));
}

// Percentage of the SM's shared memory the planned blocks need (1 KB per block is reserved by the system).
int carveout_for(size_t smem_per_block, int blocks_per_sm, const DeviceLimits& dev) {
  if (smem_per_block == 0 || dev.smem_per_sm == 0) return 0;
  const size_t need = static_cast<size_t>(blocks_per_sm) * (smem_per_block + 1024);
  return static_cast<int>(std::min<size_t>(100, (100 * need + dev.smem_per_sm - 1) / dev.smem_per_sm));
}

// The block size (1, 2, 4 or 8 warps) that keeps the most warps resident for this much memory per warp. Small
// blocks waste less of an SM's shared memory when a warp needs a lot.
Shape best_shape(const void* kernel, size_t bytes_per_warp, const DeviceLimits& dev) {
  Shape best;
  for (int w = 8; w >= 1; w /= 2) {
    const size_t smem = bytes_per_warp * static_cast<size_t>(w);
    if (smem > dev.smem_per_block_max) continue;
    int blocks = 0;
    AMLZ_CUDA_CHECK(cudaOccupancyMaxActiveBlocksPerMultiprocessor(&blocks, kernel, 32 * w, smem));
    if (blocks * w > best.warps_per_sm) best = {w, blocks * w, smem};
  }
  return best;
}

}  // namespace

uint32_t MemoryNeed::words_per_warp(int features, int lanes) const {
  uint32_t words = 0;
  for (const Counts& c : programs)
    words = std::max(words, warp_memory_words(features, lanes, c.scalars, c.vectors, c.matrices));
  return (words + 127u) / 128u * 128u;
}

LaunchPlan plan_launch(const DeviceLimits& dev, int features, int requested_lanes, const MemoryNeed& need,
                       uint32_t median_items_per_program) {
  const std::vector<int> lanes = compiled_lanes(features);
  AMLZ_CHECK(!lanes.empty(), "no kernel compiled for feature size " + std::to_string(features));
  LaunchPlan plan;
  plan.features = features;

  std::vector<int> candidates;
  if (requested_lanes > 0) {
    auto it = std::lower_bound(lanes.begin(), lanes.end(), requested_lanes);
    candidates.push_back(it == lanes.end() ? lanes.back() : *it);
    plan.why = "requested L=" + std::to_string(requested_lanes);
  } else {
    const uint32_t fill = next_pow2(std::max(1u, median_items_per_program));
    for (int l : lanes)
      if (static_cast<uint32_t>(32 / l) <= fill || l == lanes.back()) candidates.push_back(l);
    plan.why = "auto (median " + std::to_string(median_items_per_program) + " items/program)";
  }

  // The first candidate (fewest lanes) that reaches the occupancy target wins; failing that, the one with the most
  // resident warps.
  LaunchPlan fallback;
  for (int l : candidates) {
    const void* kernel = find_kernel(features, l, false);
    AMLZ_CHECK(kernel != nullptr, "kernel missing for a compiled pair");
    prepare_kernel(kernel, dev);
    const uint32_t words = need.words_per_warp(features, l);
    const Shape shape = best_shape(kernel, static_cast<size_t>(words) * sizeof(float), dev);
    if (shape.warps_per_sm == 0) continue;  // does not fit in shared memory at this L
    int reg_blocks = 0;
    AMLZ_CUDA_CHECK(cudaOccupancyMaxActiveBlocksPerMultiprocessor(&reg_blocks, kernel, 32 * kMaxWarpsPerBlock, 0));
    const int target = std::min(kMinWarpsPerSm, std::max(1, reg_blocks * kMaxWarpsPerBlock));
    LaunchPlan p = plan;
    p.lanes = l;
    p.warps_per_block = shape.warps_per_block;
    p.warps_per_sm = shape.warps_per_sm;
    p.words_per_warp = words;
    p.smem_bytes = shape.smem;
    p.carveout_percent = carveout_for(shape.smem, shape.warps_per_sm / shape.warps_per_block, dev);
    if (shape.warps_per_sm >= target) return p;
    if (shape.warps_per_sm > fallback.warps_per_sm) fallback = p;
  }
  if (fallback.lanes != 0) {
    fallback.why += ", below the occupancy target";
    return fallback;
  }

  // Nothing fits in shared memory: program memory in global memory (through L1/L2), at the largest L.
  plan.lanes = global_memory_lanes(features);
  plan.global_memory = true;
  const void* kernel = find_kernel(features, plan.lanes, true);
  AMLZ_CHECK(kernel != nullptr, "global-memory kernel missing");
  prepare_kernel(kernel, dev);
  plan.words_per_warp = need.words_per_warp(features, plan.lanes);
  int blocks = 0;
  plan.warps_per_block = 4;
  AMLZ_CUDA_CHECK(cudaOccupancyMaxActiveBlocksPerMultiprocessor(&blocks, kernel, 32 * plan.warps_per_block, 0));
  plan.warps_per_sm = blocks * plan.warps_per_block;
  plan.smem_bytes = 0;
  plan.carveout_percent = 0;  // all L1: program memory goes through it
  plan.why += ", program memory too large for shared memory: global-memory path";
  return plan;
}

void finish_plan(LaunchPlan& plan, const DeviceLimits& dev, size_t n_jobs) {
  const size_t w = static_cast<size_t>(plan.warps_per_block);
  const size_t resident_blocks =
      static_cast<size_t>(std::max(1, plan.warps_per_sm / plan.warps_per_block)) * static_cast<size_t>(dev.sm_count);
  size_t blocks = std::min((n_jobs + w - 1) / w, resident_blocks);
  if (plan.global_memory) {
    // Each launched warp owns words_per_warp floats of global memory; stay within a quarter of the free memory.
    const size_t bytes_per_block = w * plan.words_per_warp * sizeof(float);
    const size_t budget_blocks = std::max<size_t>(1, dev.free_memory / 4 / bytes_per_block);
    blocks = std::min(blocks, budget_blocks);
    plan.global_words = blocks * w * plan.words_per_warp;
  }
  plan.blocks = static_cast<int>(std::max<size_t>(1, blocks));
}

void launch_evaluate(const LaunchPlan& plan, const KernelArgs& args, cudaStream_t stream) {
  const void* kernel = find_kernel(plan.features, plan.lanes, plan.global_memory);
  AMLZ_CHECK(kernel != nullptr, "no kernel for the planned (F, L)");
  AMLZ_CUDA_CHECK(cudaFuncSetAttribute(kernel, cudaFuncAttributePreferredSharedMemoryCarveout, plan.carveout_percent));
  void* params[] = {const_cast<KernelArgs*>(&args)};
  (void)cudaLaunchKernel(kernel, dim3(static_cast<unsigned>(plan.blocks)),
                         dim3(static_cast<unsigned>(32 * plan.warps_per_block)), params, plan.smem_bytes, stream);
  const std::string name =
      std::string("evaluate_kernel<F=") + std::to_string(plan.features) + ", L=" + std::to_string(plan.lanes) +
      (plan.global_memory ? ", global" : ", shared") + "> launch (" + std::to_string(plan.blocks) + " blocks of " +
      std::to_string(32 * plan.warps_per_block) + " threads, " + std::to_string(plan.smem_bytes) + " B shared)";
  const cudaError_t launched = cudaGetLastError();
  if (launched != cudaSuccess) throw_cuda_error(launched, name.c_str(), __FILE__, __LINE__);
#if defined(AMLZ_CUDA_SYNC_CHECK)
  const cudaError_t finished = cudaStreamSynchronize(stream);
  if (finished != cudaSuccess) throw_cuda_error(finished, (name + " (synchronised)").c_str(), __FILE__, __LINE__);
#endif
}

void print_plan(const LaunchPlan& p, size_t n_jobs) {
  std::fprintf(stderr,
               "amlz cuda: F=%d L=%d %s, %zu jobs, %d blocks x %d warps, %d warps/SM, %u floats/warp, %zu B shared "
               "per block, carve-out %d%% [%s]\n",
               p.features, p.lanes, p.global_memory ? "global memory" : "shared memory", n_jobs, p.blocks,
               p.warps_per_block, p.warps_per_sm, p.words_per_warp, p.smem_bytes, p.carveout_percent, p.why.c_str());
}

}  // namespace amlz::cuda
