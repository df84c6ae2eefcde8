// SPDX-License-Identifier: Apache-2.0
// One evaluate() call's input on the device: the batch's code and program descriptors, the grouped work items, the
// warp jobs and one job counter per launch, packed into one pinned buffer and copied with one cudaMemcpyAsync.
// Host code only; private to cuda/.
#pragma once
#include <cstddef>
#include <vector>

#include <cuda_runtime.h>

#include "amlz/core/bytecode.h"
#include "amlz/eval/evaluator.h"
#include "host/device_buffer.cuh"
#include "kernel_args.cuh"

namespace amlz::cuda {

// Byte offsets of the pieces in the upload, each 256-byte aligned.
struct UploadLayout {
  size_t code = 0, programs = 0, items = 0, jobs = 0, counters = 0;
  size_t bytes = 0;  // the whole upload
};
UploadLayout upload_layout(size_t n_instr, size_t n_programs, size_t n_items, size_t n_jobs, size_t n_counters);

class BatchUpload {
 public:
  // Packs and enqueues the copy on `stream`; the job counters start at zero. The pinned staging buffer is reused
  // by the next call, which is safe because evaluate() waits for its stream before returning.
  void upload(const ProgramBatch& batch, const std::vector<DeviceItem>& items, const std::vector<WarpJob>& jobs,
              size_t n_counters, cudaStream_t stream);

  // Device pointers into the last upload.
  const Instr* code() const { return reinterpret_cast<const Instr*>(at(layout_.code)); }
  const ProgramDesc* programs() const { return reinterpret_cast<const ProgramDesc*>(at(layout_.programs)); }
  const DeviceItem* items() const { return reinterpret_cast<const DeviceItem*>(at(layout_.items)); }
  const WarpJob* jobs() const { return reinterpret_cast<const WarpJob*>(at(layout_.jobs)); }
  unsigned int* counters() const { return reinterpret_cast<unsigned int*>(at(layout_.counters)); }

 private:
  unsigned char* at(size_t offset) const { return device_.data() + offset; }

  UploadLayout layout_;
  PinnedBuffer<unsigned char> host_;
  DeviceBuffer<unsigned char> device_;
};

}  // namespace amlz::cuda
