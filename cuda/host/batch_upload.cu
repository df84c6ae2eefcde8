// SPDX-License-Identifier: Apache-2.0
// Packing one evaluate() call's input and its one upload.
#include <cstring>

#include "host/batch_upload.cuh"
#include "host/cuda_check.cuh"

namespace amlz::cuda {

namespace {

size_t align_up(size_t x, size_t a) { return (x + a - 1) / a * a; }

}  // namespace

UploadLayout upload_layout(size_t n_instr, size_t n_programs, size_t n_items, size_t n_jobs, size_t n_counters) {
  UploadLayout l;
  l.code = 0;
  l.programs = l.code + align_up(n_instr * sizeof(Instr), 256);
  l.items = l.programs + align_up(n_programs * sizeof(ProgramDesc), 256);
  l.jobs = l.items + align_up(n_items * sizeof(DeviceItem), 256);
  l.counters = l.jobs + align_up(n_jobs * sizeof(WarpJob), 256);
  l.bytes = l.counters + align_up(n_counters * sizeof(unsigned int), 256);
  return l;
}

void BatchUpload::upload(const ProgramBatch& batch, const std::vector<DeviceItem>& items,
                         const std::vector<WarpJob>& jobs, size_t n_counters, cudaStream_t stream) {
  layout_ = upload_layout(batch.code.size(), batch.programs.size(), items.size(), jobs.size(), n_counters);
  host_.reserve_discarding(layout_.bytes);
  device_.reserve_discarding(layout_.bytes);
  unsigned char* h = host_.data();
  if (!batch.code.empty()) std::memcpy(h + layout_.code, batch.code.data(), batch.code.size() * sizeof(Instr));
  if (!batch.programs.empty())
    std::memcpy(h + layout_.programs, batch.programs.data(), batch.programs.size() * sizeof(ProgramDesc));
  if (!items.empty()) std::memcpy(h + layout_.items, items.data(), items.size() * sizeof(DeviceItem));
  if (!jobs.empty()) std::memcpy(h + layout_.jobs, jobs.data(), jobs.size() * sizeof(WarpJob));
  std::memset(h + layout_.counters, 0, n_counters * sizeof(unsigned int));
  AMLZ_CUDA_CHECK(cudaMemcpyAsync(device_.data(), h, layout_.bytes, cudaMemcpyHostToDevice, stream));
}

}  // namespace amlz::cuda
