// SPDX-License-Identifier: Apache-2.0
// The task set as the kernels read it: packed on the host (one float array, one order array, one DeviceTask record
// per task) and kept on the device until another task set comes. Host code only; private to cuda/.
#pragma once
#include <cstdint>
#include <vector>

#include <cuda_runtime.h>

#include "amlz/tasks/task.h"
#include "host/device_buffer.cuh"
#include "kernel_args.cuh"

namespace amlz::cuda {

// Offsets are multiples of 32 elements, so every feature row of F floats is aligned for vector loads. Throws
// amlz::Error when a task's data does not match its sizes or the set exceeds the kernels' 32-bit offsets.
struct PackedTaskSet {
  std::vector<DeviceTask> table;  // one per task
  std::vector<float> data;        // features and labels (never empty)
  std::vector<uint32_t> orders;   // epoch orders (never empty)
};
PackedTaskSet pack_task_set(const TaskSet& ts);

class DeviceTaskSet {
 public:
  // Makes `ts` the task set on the device, uploading it (and waiting for the copy) unless it already is.
  // TaskSet::id identifies a materialisation; the sizes are compared too, as a cheap guard against a reused id
  // (id 0 means "unknown": always upload).
  void use(const TaskSet& ts, cudaStream_t stream);

  const DeviceTask* table() const { return table_.data(); }
  const float* data() const { return data_.data(); }
  const uint32_t* orders() const { return orders_.data(); }
  // Feature size of each task of the current set.
  const std::vector<int>& features() const { return features_; }

 private:
  uint64_t id_ = 0;
  std::vector<uint64_t> signature_;
  std::vector<int> features_;
  DeviceBuffer<float> data_;
  DeviceBuffer<uint32_t> orders_;
  DeviceBuffer<DeviceTask> table_;
};

}  // namespace amlz::cuda
