// SPDX-License-Identifier: Apache-2.0
// A fixed pool of worker threads for data-parallel loops: the CPU evaluator spreads work items over the cores, the
// search its host-side work (compiling, verifying and packing candidates, FEC keys).
#pragma once
#include <condition_variable>
#include <cstddef>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

namespace amlz {

class ThreadPool {
 public:
  // threads <= 0: one per hardware thread this process may run on (its CPU affinity). Throws amlz::Error when the
  // system cannot start them all.
  explicit ThreadPool(int threads);
  ~ThreadPool();
  ThreadPool(const ThreadPool&) = delete;
  ThreadPool& operator=(const ThreadPool&) = delete;

  int size() const { return static_cast<int>(workers_.size()) + 1; }  // the caller works too

  // Calls fn(worker, i) for every i in [0, n), in chunks claimed dynamically; returns when all are done. `worker`
  // in [0, size()) names the thread (0 = the caller), so callers can keep per-worker scratch state. The first
  // exception thrown by fn is rethrown here.
  using Body = std::function<void(int worker, size_t i)>;
  void parallel_for(size_t n, size_t chunk, const Body& fn);

 private:
  void stop_workers() noexcept;
  void worker_loop(int worker);
  void run_chunks(int worker);

  std::vector<std::thread> workers_;
  std::mutex mutex_;
  std::condition_variable wake_, done_;
  const Body* job_ = nullptr;
  size_t n_ = 0, chunk_ = 1, next_ = 0;
  int busy_ = 0;
  uint64_t generation_ = 0;
  bool stop_ = false;
  std::exception_ptr error_;
};

}  // namespace amlz
