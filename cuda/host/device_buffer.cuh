// SPDX-License-Identifier: Apache-2.0
// RAII owners of device memory and pinned host memory, sized in elements. They grow and never shrink, so an
// evaluator that sees batches of similar size allocates once. Host code only; private to cuda/.
#pragma once
#include <cstddef>
#include <utility>

#include <cuda_runtime.h>

#include "host/cuda_check.cuh"

namespace amlz::cuda {

// Where a buffer's memory comes from: device memory, or page-locked host memory (the only kind cudaMemcpyAsync
// copies without staging).
struct DeviceMemory {
  static cudaError_t allocate(void** p, size_t bytes) { return cudaMalloc(p, bytes); }
  static cudaError_t free(void* p) { return cudaFree(p); }
};
struct PinnedHostMemory {
  static cudaError_t allocate(void** p, size_t bytes) { return cudaMallocHost(p, bytes); }
  static cudaError_t free(void* p) { return cudaFreeHost(p); }
};

template <class T, class Memory>
class Buffer {
 public:
  Buffer() = default;
  ~Buffer() { release(); }
  Buffer(const Buffer&) = delete;
  Buffer& operator=(const Buffer&) = delete;
  Buffer(Buffer&& o) noexcept : ptr_(std::exchange(o.ptr_, nullptr)), size_(std::exchange(o.size_, 0)) {}
  Buffer& operator=(Buffer&& o) noexcept {
    if (this != &o) {
      release();
      ptr_ = std::exchange(o.ptr_, nullptr);
      size_ = std::exchange(o.size_, 0);
    }
    return *this;
  }

  // Ensures room for n elements. Growing frees the old memory first and does NOT keep its contents: callers fill
  // the buffer after every call.
  void reserve_discarding(size_t n) {
    if (n <= size_) return;
    release();
    void* p = nullptr;
    AMLZ_CUDA_CHECK(Memory::allocate(&p, n * sizeof(T)));
    ptr_ = static_cast<T*>(p);
    size_ = n;
  }

  T* data() const { return ptr_; }

 private:
  void release() noexcept {
    if (ptr_) AMLZ_CUDA_CHECK_NOTHROW(Memory::free(ptr_));
    ptr_ = nullptr;
    size_ = 0;
  }
  T* ptr_ = nullptr;
  size_t size_ = 0;
};

template <class T>
using DeviceBuffer = Buffer<T, DeviceMemory>;
template <class T>
using PinnedBuffer = Buffer<T, PinnedHostMemory>;

}  // namespace amlz::cuda
