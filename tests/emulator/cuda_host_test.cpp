// SPDX-License-Identifier: Apache-2.0
// The CUDA evaluator's pure host logic, through the emulated build: grouping work items into warp jobs, the upload
// layout, and packing the task set. The parity suite checks their results end to end; these tests pin the
// invariants the kernels rely on (one program per job, at most 32/L items per job, aligned offsets).
#include <cstdint>
#include <exception>
#include <vector>

#include <gtest/gtest.h>

#include "host/batch_upload.cuh"
#include "host/device_task_set.cuh"
#include "host/warp_jobs.cuh"

namespace amlz::cuda {
namespace {

ProgramDesc desc(uint8_t scalars, uint8_t vectors, uint8_t matrices, uint8_t flags = 0) {
  ProgramDesc d{};
  d.n_scalars = scalars;
  d.n_vectors = vectors;
  d.n_matrices = matrices;
  d.flags = flags;
  return d;
}

TEST(CudaWarpJobs, GroupsByFeatureSizeThenProgramKeepingTheCallersOrder) {
  // Tasks 0 and 2 have F = 8, task 1 has F = 4.
  const std::vector<int> task_features = {8, 4, 8};
  const std::vector<ProgramDesc> programs = {desc(3, 2, 1), desc(4, 5, 2, kMatmulIntoRightOperand)};
  const std::vector<WorkItem> items = {
      {1, 0, 10, 5},  // 0: F=8, program 1
      {0, 1, 11, 6},  // 1: F=4, program 0
      {0, 2, 12, 7},  // 2: F=8, program 0
      {1, 1, 13, 8},  // 3: F=4, program 1
      {0, 0, 14, 9},  // 4: F=8, program 0
      {1, 2, 15, 0},  // 5: F=8, program 1
  };
  const GroupedItems g = group_work_items(items, task_features, programs);

  // Sorted by (F, program), stable: caller's order inside each program.
  const std::vector<uint32_t> slots = {1, 3, 2, 4, 0, 5};
  ASSERT_EQ(g.items.size(), items.size());
  for (size_t k = 0; k < slots.size(); ++k) {
    const WorkItem& w = items[slots[k]];
    EXPECT_EQ(g.items[k].slot, slots[k]) << k;
    EXPECT_EQ(g.items[k].task, w.task) << k;
    EXPECT_EQ(g.items[k].train_steps, w.train_steps) << k;
    EXPECT_EQ(g.items[k].valid_steps, w.valid_steps) << k;
  }

  ASSERT_EQ(g.groups.size(), 2u);
  const FeatureGroup& f4 = g.groups[0];
  EXPECT_EQ(f4.features, 4);
  ASSERT_EQ(f4.runs.size(), 2u);
  EXPECT_EQ(f4.runs[0].program, 0u);
  EXPECT_EQ(f4.runs[0].first, 0u);
  EXPECT_EQ(f4.runs[0].count, 1u);
  EXPECT_EQ(f4.runs[1].program, 1u);
  EXPECT_EQ(f4.runs[1].first, 1u);
  EXPECT_EQ(f4.runs[1].count, 1u);

  const FeatureGroup& f8 = g.groups[1];
  EXPECT_EQ(f8.features, 8);
  ASSERT_EQ(f8.runs.size(), 2u);
  EXPECT_EQ(f8.runs[0].program, 0u);
  EXPECT_EQ(f8.runs[0].first, 2u);
  EXPECT_EQ(f8.runs[0].count, 2u);
  EXPECT_EQ(f8.runs[1].program, 1u);
  EXPECT_EQ(f8.runs[1].first, 4u);
  EXPECT_EQ(f8.runs[1].count, 2u);
  EXPECT_EQ(f8.median_items_per_program, 2u);

  // Memory need per run; the program that multiplies into its right operand gets the scratch matrix.
  ASSERT_EQ(f8.need.programs.size(), 2u);
  EXPECT_EQ(f8.need.programs[0].scalars, 3u);
  EXPECT_EQ(f8.need.programs[0].vectors, 2u);
  EXPECT_EQ(f8.need.programs[0].matrices, 1u);
  EXPECT_EQ(f8.need.programs[1].matrices, 3u);
  // Words per warp: the larger program, rounded up to 128 floats (at L = 8: 32 * (4 + 5 * 1 + 3 * 8) = 1056).
  EXPECT_EQ(f8.need.words_per_warp(8, 8), 1152u);
}

TEST(CudaWarpJobs, MedianItemsPerProgram) {
  const std::vector<int> task_features(10, 4);
  const std::vector<ProgramDesc> programs(3, desc(2, 1, 0));
  std::vector<WorkItem> items;
  const uint32_t counts[3] = {1, 7, 3};
  for (uint32_t p = 0; p < 3; ++p)
    for (uint32_t t = 0; t < counts[p]; ++t) items.push_back({p, t, 1, 1});
  const GroupedItems g = group_work_items(items, task_features, programs);
  ASSERT_EQ(g.groups.size(), 1u);
  EXPECT_EQ(g.groups[0].median_items_per_program, 3u);
}

TEST(CudaWarpJobs, RunsAreCutIntoJobsOfAtMost32OverLItems) {
  FeatureGroup group;
  group.features = 8;
  group.runs = {{5, 0, 10}, {2, 10, 1}, {7, 11, 8}};
  for (int lanes : {1, 2, 4, 8}) {
    std::vector<WarpJob> jobs = {{99, 99, 99}};  // appended after what is there
    append_warp_jobs(group, lanes, jobs);
    const uint32_t tiles = static_cast<uint32_t>(32 / lanes);
    ASSERT_GE(jobs.size(), 2u);
    EXPECT_EQ(jobs[0].program, 99u);
    // Jobs cover each run in order, one program per job, never more than `tiles` items.
    size_t j = 1;
    for (const ProgramRun& run : group.runs) {
      uint32_t covered = 0;
      while (covered < run.count) {
        ASSERT_LT(j, jobs.size()) << "lanes " << lanes;
        EXPECT_EQ(jobs[j].program, run.program);
        EXPECT_EQ(jobs[j].first_item, run.first + covered);
        EXPECT_GE(jobs[j].n_items, 1u);
        EXPECT_LE(jobs[j].n_items, tiles);
        covered += jobs[j].n_items;
        ++j;
      }
      EXPECT_EQ(covered, run.count);
    }
    EXPECT_EQ(j, jobs.size()) << "lanes " << lanes;
  }
  std::vector<WarpJob> jobs;
  append_warp_jobs(group, 4, jobs);  // 8 tiles: 10 -> 8 + 2, 1, 8
  ASSERT_EQ(jobs.size(), 4u);
  EXPECT_EQ(jobs[0].n_items, 8u);
  EXPECT_EQ(jobs[1].n_items, 2u);
  EXPECT_EQ(jobs[1].first_item, 8u);
  EXPECT_EQ(jobs[2].n_items, 1u);
  EXPECT_EQ(jobs[3].n_items, 8u);
}

TEST(CudaBatchUpload, PiecesAreAlignedAndDoNotOverlap) {
  const UploadLayout l = upload_layout(37, 5, 101, 13, 3);
  const size_t offsets[] = {l.code, l.programs, l.items, l.jobs, l.counters, l.bytes};
  const size_t sizes[] = {37 * sizeof(Instr), 5 * sizeof(ProgramDesc), 101 * sizeof(DeviceItem), 13 * sizeof(WarpJob),
                          3 * sizeof(unsigned int)};
  for (size_t i = 0; i < 5; ++i) {
    EXPECT_EQ(offsets[i] % 256, 0u) << i;
    EXPECT_GE(offsets[i + 1], offsets[i] + sizes[i]) << i;
  }
  EXPECT_EQ(l.bytes % 256, 0u);
}

Task make_task(uint32_t index, int features, int n_train, int n_epochs, int n_valid) {
  Task t;
  t.index = index;
  t.features = features;
  t.n_train = n_train;
  t.n_epochs = n_epochs;
  t.n_valid = n_valid;
  for (int k = 0; k < n_train * features; ++k) t.train_x.push_back(static_cast<float>(100 * index + k));
  for (int k = 0; k < n_train; ++k) t.train_y.push_back(static_cast<float>(-k - 1));
  for (int k = 0; k < n_valid * features; ++k) t.valid_x.push_back(static_cast<float>(1000 + k));
  for (int k = 0; k < n_valid; ++k) t.valid_y.push_back(static_cast<float>(2000 + k));
  for (int e = 0; e < n_epochs; ++e)
    for (int k = 0; k < n_train; ++k) t.epoch_order.push_back(static_cast<uint32_t>(k));
  return t;
}

TEST(CudaDeviceTaskSet, PacksAlignedRowsAndCountsIdentityEpochs) {
  TaskSet ts;
  ts.tasks.push_back(make_task(0, 4, 3, 3, 2));
  ts.tasks.push_back(make_task(1, 8, 5, 2, 1));
  ts.tasks.push_back(make_task(2, 4, 1, 1, 0));
  // Task 0: epoch 1 keeps the identity order, epoch 2 shuffles; task 1: epoch 1 shuffles.
  ts.tasks[0].epoch_order = {0, 1, 2, 0, 1, 2, 2, 0, 1};
  ts.tasks[1].epoch_order = {0, 1, 2, 3, 4, 4, 3, 2, 1, 0};
  const PackedTaskSet p = pack_task_set(ts);
  ASSERT_EQ(p.table.size(), 3u);
  EXPECT_EQ(p.table[0].identity_epochs, 2u);
  EXPECT_EQ(p.table[1].identity_epochs, 1u);
  EXPECT_EQ(p.table[2].identity_epochs, 1u);
  for (size_t i = 0; i < ts.size(); ++i) {
    const Task& t = ts.tasks[i];
    const DeviceTask& d = p.table[i];
    for (uint32_t off : {d.train_x, d.train_y, d.valid_x, d.valid_y, d.order}) EXPECT_EQ(off % 32, 0u) << i;
    EXPECT_EQ(d.index, t.index);
    EXPECT_EQ(d.n_train, static_cast<uint32_t>(t.n_train));
    EXPECT_EQ(d.n_epochs, static_cast<uint32_t>(t.n_epochs));
    EXPECT_EQ(d.n_valid, static_cast<uint32_t>(t.n_valid));
    EXPECT_EQ(d.accuracy, 0u);
    for (size_t k = 0; k < t.train_x.size(); ++k) EXPECT_EQ(p.data[d.train_x + k], t.train_x[k]);
    for (size_t k = 0; k < t.train_y.size(); ++k) EXPECT_EQ(p.data[d.train_y + k], t.train_y[k]);
    for (size_t k = 0; k < t.valid_x.size(); ++k) EXPECT_EQ(p.data[d.valid_x + k], t.valid_x[k]);
    for (size_t k = 0; k < t.valid_y.size(); ++k) EXPECT_EQ(p.data[d.valid_y + k], t.valid_y[k]);
    for (size_t k = 0; k < t.epoch_order.size(); ++k) EXPECT_EQ(p.orders[d.order + k], t.epoch_order[k]);
  }
}

TEST(CudaDeviceTaskSet, RejectsInconsistentTasks) {
  TaskSet sizes;
  sizes.tasks.push_back(make_task(0, 4, 3, 1, 2));
  sizes.tasks[0].valid_y.pop_back();
  EXPECT_THROW(pack_task_set(sizes), std::exception);
  TaskSet order;
  order.tasks.push_back(make_task(0, 4, 3, 1, 2));
  order.tasks[0].epoch_order[1] = 3;
  EXPECT_THROW(pack_task_set(order), std::exception);
}

}  // namespace
}  // namespace amlz::cuda
