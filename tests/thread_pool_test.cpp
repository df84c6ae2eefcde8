// SPDX-License-Identifier: Apache-2.0
// The worker pool under the CPU evaluator and the search's host side: every index once, worker ids in range, the
// first exception back to the caller, and a pool that still works after one.
#include "amlz/thread_pool.h"

#include <atomic>
#include <sched.h>
#include <stdexcept>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

namespace amlz {
namespace {

// Runs one parallel_for and returns how often each index was visited.
std::vector<int> visits(ThreadPool& pool, size_t n, size_t chunk) {
  std::vector<std::atomic<int>> count(n);
  pool.parallel_for(n, chunk, [&](int worker, size_t i) {
    EXPECT_GE(worker, 0);
    EXPECT_LT(worker, pool.size());
    count[i].fetch_add(1, std::memory_order_relaxed);
  });
  std::vector<int> out;
  for (const auto& c : count) out.push_back(c.load());
  return out;
}

TEST(ThreadPool, VisitsEveryIndexOnce) {
  for (int threads : {1, 2, 5}) {
    ThreadPool pool(threads);
    EXPECT_EQ(pool.size(), threads);
    for (size_t n : {0, 1, 7, 64, 1000})
      for (size_t chunk : {0, 1, 3, 64, 5000})
        EXPECT_EQ(visits(pool, n, chunk), std::vector<int>(n, 1))
            << threads << " threads, n " << n << ", chunk " << chunk;
  }
}

TEST(ThreadPool, ZeroThreadsMeansTheCoresThisProcessMayUse) {
  cpu_set_t set;
  ASSERT_EQ(sched_getaffinity(0, sizeof set, &set), 0);
  EXPECT_EQ(ThreadPool(0).size(), CPU_COUNT(&set));
}

TEST(ThreadPool, SpreadsWorkOverItsThreads) {
  // Each item waits until a second thread has taken one too: done only when the pool runs them side by side.
  ThreadPool pool(2);
  std::atomic<int> started{0};
  std::vector<int> worker_of(2, -1);
  pool.parallel_for(2, 1, [&](int worker, size_t i) {
    worker_of[i] = worker;
    started.fetch_add(1);
    while (started.load() < 2) std::this_thread::yield();
  });
  EXPECT_NE(worker_of[0], worker_of[1]);
}

TEST(ThreadPool, RethrowsTheFirstErrorAndStaysUsable) {
  ThreadPool pool(3);
  EXPECT_THROW(pool.parallel_for(100, 1,
                                 [](int, size_t i) {
                                   if (i == 42) throw std::runtime_error("item 42");
                                 }),
               std::runtime_error);
  EXPECT_EQ(visits(pool, 500, 7), std::vector<int>(500, 1));
}

TEST(ThreadPool, ManySmallJobsBackToBack) {
  // Workers that wake late for one job must neither run a finished job nor miss the next one.
  ThreadPool pool(4);
  std::atomic<long> sum{0};
  for (int job = 0; job < 2000; ++job)
    pool.parallel_for(9, 2, [&](int, size_t i) { sum.fetch_add(static_cast<long>(i) + 1); });
  EXPECT_EQ(sum.load(), 2000L * 45);
}

}  // namespace
}  // namespace amlz
