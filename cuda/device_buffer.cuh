// SPDX-License-Identifier: Apache-2.0
// RAII owners of device memory and pinned host memory, sized in elements. They grow and never shrink, so an
// evaluator that sees batches of similar size allocates once. Private to cuda/.
#pragma once
#include <cuda_runtime.h>

#include <cstddef>
#include <utility>

#include "cuda_check.cuh"

namespace amlz::cuda {

template <class T>
class DeviceBuffer {
 public:
  DeviceBuffer() = default;
  explicit DeviceBuffer(size_t n) { resize(n); }
  ~DeviceBuffer() { release(); }
  DeviceBuffer(const DeviceBuffer&) = delete;
  DeviceBuffer& operator=(const DeviceBuffer&) = delete;
  DeviceBuffer(DeviceBuffer&& o) noexcept : ptr_(std::exchange(o.ptr_, nullptr)), size_(std::exchange(o.size_, 0)) {}
  DeviceBuffer& operator=(DeviceBuffer&& o) noexcept {
    if (this != &o) {
      release();
      ptr_ = std::exchange(o.ptr_, nullptr);
      size_ = std::exchange(o.size_, 0);
    }
    return *this;
  }

  // Ensures room for n elements. The old contents are NOT kept (callers re-upload after growing).
  void reserve(size_t n) {
    if (n <= size_) return;
    release();
    void* p = nullptr;
    AMLZ_CUDA_CHECK(cudaMalloc(&p, n * sizeof(T)));
    ptr_ = static_cast<T*>(p);
    size_ = n;
  }
  void resize(size_t n) { reserve(n); }

  T* data() const { return ptr_; }
  size_t size() const { return size_; }
  size_t bytes() const { return size_ * sizeof(T); }

 private:
  void release() noexcept {
    if (ptr_) AMLZ_CUDA_CHECK_NOTHROW(cudaFree(ptr_));
    ptr_ = nullptr;
    size_ = 0;
  }
  T* ptr_ = nullptr;
  size_t size_ = 0;
};

// Page-locked host memory: the only kind cudaMemcpyAsync copies without staging.
template <class T>
class PinnedBuffer {
 public:
  PinnedBuffer() = default;
  ~PinnedBuffer() { release(); }
  PinnedBuffer(const PinnedBuffer&) = delete;
  PinnedBuffer& operator=(const PinnedBuffer&) = delete;

  void reserve(size_t n) {
    if (n <= size_) return;
    release();
    void* p = nullptr;
    AMLZ_CUDA_CHECK(cudaMallocHost(&p, n * sizeof(T)));
    ptr_ = static_cast<T*>(p);
    size_ = n;
  }

  T* data() const { return ptr_; }
  size_t size() const { return size_; }

 private:
  void release() noexcept {
    if (ptr_) AMLZ_CUDA_CHECK_NOTHROW(cudaFreeHost(ptr_));
    ptr_ = nullptr;
    size_ = 0;
  }
  T* ptr_ = nullptr;
  size_t size_ = 0;
};

}  // namespace amlz::cuda
