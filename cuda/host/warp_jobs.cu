// SPDX-License-Identifier: Apache-2.0
// Grouping work items into warp jobs. A host sort of at most a few hundred thousand indices, which the upload
// dwarfs: no Thrust/CUB needed.
#include <algorithm>
#include <numeric>
#include <tuple>

#include "host/warp_jobs.cuh"

namespace amlz::cuda {

namespace {

// Runs of one program in sorted items [g0, g1), and what their programs need.
FeatureGroup make_group(int features, const std::vector<DeviceItem>& sorted, const std::vector<WorkItem>& items,
                        size_t g0, size_t g1, const std::vector<ProgramDesc>& programs) {
  FeatureGroup group;
  group.features = features;
  std::vector<uint32_t> counts;
  for (size_t r0 = g0; r0 < g1;) {
    const uint32_t p = items[sorted[r0].slot].program;
    size_t r1 = r0;
    while (r1 < g1 && items[sorted[r1].slot].program == p) ++r1;
    group.runs.push_back({p, static_cast<uint32_t>(r0), static_cast<uint32_t>(r1 - r0)});
    const ProgramDesc& d = programs[p];
    group.need.programs.push_back(
        {d.n_scalars, d.n_vectors, d.n_matrices + ((d.flags & kMatmulIntoRightOperand) ? 1u : 0u)});
    counts.push_back(static_cast<uint32_t>(r1 - r0));
    r0 = r1;
  }
  std::nth_element(counts.begin(), counts.begin() + counts.size() / 2, counts.end());
  group.median_items_per_program = counts[counts.size() / 2];
  return group;
}

}  // namespace

GroupedItems group_work_items(const std::vector<WorkItem>& items, const std::vector<int>& task_features,
                              const std::vector<ProgramDesc>& programs) {
  // The sort is stable, so a program's items keep the caller's order inside their warps.
  const size_t n = items.size();
  std::vector<uint32_t> order(n);
  std::iota(order.begin(), order.end(), 0u);
  std::stable_sort(order.begin(), order.end(), [&](uint32_t x, uint32_t y) {
    return std::make_tuple(task_features[items[x].task], items[x].program) <
           std::make_tuple(task_features[items[y].task], items[y].program);
  });

  GroupedItems out;
  out.items.resize(n);
  for (size_t k = 0; k < n; ++k) {
    const WorkItem& w = items[order[k]];
    out.items[k] = {w.task, w.train_steps, w.valid_steps, order[k]};
  }
  for (size_t g0 = 0; g0 < n;) {
    const int features = task_features[out.items[g0].task];
    size_t g1 = g0;
    while (g1 < n && task_features[out.items[g1].task] == features) ++g1;
    out.groups.push_back(make_group(features, out.items, items, g0, g1, programs));
    g0 = g1;
  }
  return out;
}

void append_warp_jobs(const FeatureGroup& group, int lanes, std::vector<WarpJob>& jobs) {
  const uint32_t tiles = static_cast<uint32_t>(32 / lanes);
  for (const ProgramRun& run : group.runs)
    for (uint32_t k = 0; k < run.count; k += tiles)
      jobs.push_back({run.program, run.first + k, std::min(tiles, run.count - k)});
}

}  // namespace amlz::cuda
