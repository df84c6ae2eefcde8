// SPDX-License-Identifier: Apache-2.0
#include "amlz/thread_pool.h"

#include <algorithm>
#include <sched.h>
#include <string>
#include <system_error>

#include "amlz/error.h"

namespace amlz {
namespace {

// The hardware threads this process may run on: fewer than the machine's when it is bound to some (mpirun binds
// each rank to its cores; taskset), so that ranks sharing a machine do not each start a thread per core.
int usable_hardware_threads() {
  cpu_set_t set;
  if (sched_getaffinity(0, sizeof set, &set) == 0 && CPU_COUNT(&set) > 0) return CPU_COUNT(&set);
  return static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
}

}  // namespace

ThreadPool::ThreadPool(int threads) {
  if (threads <= 0) threads = usable_hardware_threads();
  try {
    for (int i = 1; i < threads; ++i) workers_.emplace_back([this, i] { worker_loop(i); });
  } catch (const std::system_error& e) {
    // The destructor does not run for a half-built object: stop the threads already started (a joinable
    // std::thread destroyed unjoined terminates the process), then say what the machine refused.
    const size_t started = workers_.size() + 1;
    stop_workers();
    throw Error("cannot start " + std::to_string(threads) + " worker threads (the system refused after " +
                std::to_string(started) + ": " + e.what() + "); use fewer threads");
  }
}

ThreadPool::~ThreadPool() { stop_workers(); }

void ThreadPool::stop_workers() noexcept {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    stop_ = true;
  }
  wake_.notify_all();
  for (auto& t : workers_) t.join();
  workers_.clear();
}

void ThreadPool::run_chunks(int worker) {
  for (;;) {
    size_t begin;
    {
      std::lock_guard<std::mutex> lock(mutex_);
      if (next_ >= n_ || error_) return;
      begin = next_;
      next_ = std::min(n_, next_ + chunk_);
    }
    const size_t end = std::min(n_, begin + chunk_);
    try {
      for (size_t i = begin; i < end; ++i) (*job_)(worker, i);
    } catch (...) {
      std::lock_guard<std::mutex> lock(mutex_);
      if (!error_) error_ = std::current_exception();
      return;
    }
  }
}

void ThreadPool::worker_loop(int worker) {
  uint64_t seen = 0;
  for (;;) {
    {
      std::unique_lock<std::mutex> lock(mutex_);
      wake_.wait(lock, [&] { return stop_ || generation_ != seen; });
      if (stop_) return;
      seen = generation_;
      ++busy_;
    }
    run_chunks(worker);
    {
      std::lock_guard<std::mutex> lock(mutex_);
      --busy_;
    }
    done_.notify_one();
  }
}

void ThreadPool::parallel_for(size_t n, size_t chunk, const Body& fn) {
  if (n == 0) return;
  if (workers_.empty() || n <= chunk) {
    for (size_t i = 0; i < n; ++i) fn(0, i);
    return;
  }
  {
    std::lock_guard<std::mutex> lock(mutex_);
    job_ = &fn;
    n_ = n;
    chunk_ = std::max<size_t>(1, chunk);
    next_ = 0;
    error_ = nullptr;
    ++generation_;
  }
  wake_.notify_all();
  run_chunks(0);
  std::exception_ptr error;
  {
    std::unique_lock<std::mutex> lock(mutex_);
    done_.wait(lock, [&] { return busy_ == 0 && (next_ >= n_ || error_); });
    job_ = nullptr;
    error = error_;
  }
  if (error) std::rethrow_exception(error);
}

}  // namespace amlz
