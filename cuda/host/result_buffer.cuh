// SPDX-License-Identifier: Apache-2.0
// One evaluate() call's results: device slots between canary guards (STYLE.md §E), downloaded, checked and
// converted to TaskResults. Host code only; private to cuda/.
#pragma once
#include <cstddef>
#include <vector>

#include <cuda_runtime.h>

#include "amlz/eval/evaluator.h"
#include "host/device_buffer.cuh"
#include "kernel_args.cuh"

namespace amlz::cuda {

class ResultBuffer {
 public:
  // Room for n results; fills the device side, guards and slots, with canary bytes (enqueued on `stream`).
  void prepare(size_t n, cudaStream_t stream);
  // Where the kernels write result k (DeviceItem::slot k).
  DeviceResult* slots() const;
  // Downloads, waits for `stream`, then checks that no kernel wrote outside the slots and that every slot was
  // written; throws amlz::Error otherwise.
  std::vector<TaskResult> download(cudaStream_t stream);

 private:
  size_t n_ = 0;
  PinnedBuffer<unsigned char> host_;
  DeviceBuffer<unsigned char> device_;
};

}  // namespace amlz::cuda
