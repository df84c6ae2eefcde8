// SPDX-License-Identifier: Apache-2.0
// Grouping a batch's work items into warp jobs: by feature size (one launch each), then by program (a warp runs one
// instruction stream), then cut into jobs of at most 32/L items. Pure host logic, no CUDA calls; private to cuda/.
#pragma once
#include <cstdint>
#include <vector>

#include "amlz/core/bytecode.h"
#include "amlz/eval/evaluator.h"
#include "host/launch.cuh"
#include "kernel_args.cuh"

namespace amlz::cuda {

// Consecutive work items of one program: GroupedItems::items[first, first + count).
struct ProgramRun {
  uint32_t program;
  uint32_t first;
  uint32_t count;
};

// The work items of one feature size: one launch.
struct FeatureGroup {
  int features = 0;
  std::vector<ProgramRun> runs;  // in program order
  MemoryNeed need;               // one entry per run
  uint32_t median_items_per_program = 0;
};

struct GroupedItems {
  std::vector<DeviceItem> items;     // sorted by (feature size, program), stable: a program's items keep the
                                     // caller's order; DeviceItem::slot is the caller's index
  std::vector<FeatureGroup> groups;  // by ascending feature size
};

// task_features[t] is task t's feature size; programs are the batch's descriptors.
GroupedItems group_work_items(const std::vector<WorkItem>& items, const std::vector<int>& task_features,
                              const std::vector<ProgramDesc>& programs);

// Appends the warp jobs of one group at `lanes` lanes per task: each run cut into jobs of at most 32/lanes items.
void append_warp_jobs(const FeatureGroup& group, int lanes, std::vector<WarpJob>& jobs);

}  // namespace amlz::cuda
