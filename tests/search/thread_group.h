// SPDX-License-Identifier: Apache-2.0
// N "processes" on N threads for the search tests: every collective of SearchGroup waits for all of them, like
// MPI's, so a run over "ranks" can be compared with one process without MPI (tests/dist/ does that with MPI).
#pragma once
#include <algorithm>
#include <condition_variable>
#include <cstdint>
#include <limits>
#include <memory>
#include <mutex>
#include <string>
#include <utility>
#include <vector>

#include "amlz/search/search_group.h"

namespace amlz::test {

class ThreadWorld {
 public:
  explicit ThreadWorld(int ranks) : ranks_(ranks), slots_(static_cast<size_t>(ranks)) {}
  int ranks() const { return ranks_; }

  // Deposits `value` for `rank`, waits for all, returns every rank's deposit (in rank order).
  template <class T>
  std::vector<T> all_gather(int rank, T value) {
    std::unique_lock<std::mutex> lock(mutex_);
    const uint64_t round = round_;
    slots_[static_cast<size_t>(rank)] = std::make_shared<T>(std::move(value));
    if (++arrived_ == ranks_) {
      result_ = slots_;
      arrived_ = 0;
      ++round_;
      cv_.notify_all();
    } else {
      cv_.wait(lock, [&] { return round_ != round; });
    }
    std::vector<T> out;
    for (const auto& p : result_) out.push_back(*std::static_pointer_cast<T>(p));
    return out;
  }

 private:
  int ranks_;
  std::mutex mutex_;
  std::condition_variable cv_;
  std::vector<std::shared_ptr<void>> slots_, result_;
  int arrived_ = 0;
  uint64_t round_ = 0;
};

class ThreadGroup final : public SearchGroup {
 public:
  ThreadGroup(ThreadWorld& world, int rank) : world_(world), rank_(rank) {}
  int rank() const override { return rank_; }
  int ranks() const override { return world_.ranks(); }
  bool can_stop_mid_batch() const override { return false; }
  Agreement agree(uint64_t local_steps, int local_stop) override {
    Agreement a;
    for (const Agreement& x : world_.all_gather(rank_, Agreement{local_steps, local_stop})) {
      a.steps += x.steps;
      a.stop = std::max(a.stop, x.stop);
    }
    return a;
  }
  void reduce(std::vector<double>& sums, std::vector<double>& maxima) override {
    const auto all = world_.all_gather(rank_, std::make_pair(sums, maxima));
    std::fill(sums.begin(), sums.end(), 0.0);
    std::fill(maxima.begin(), maxima.end(), -std::numeric_limits<double>::infinity());
    for (const auto& [s, m] : all) {
      for (size_t i = 0; i < sums.size(); ++i) sums[i] += s[i];
      for (size_t i = 0; i < maxima.size(); ++i) maxima[i] = std::max(maxima[i], m[i]);
    }
  }
  std::vector<std::pair<uint32_t, std::string>> exchange(uint64_t,
                                                         std::vector<std::pair<uint32_t, std::string>> out) override {
    std::vector<std::pair<uint32_t, std::string>> mine;
    for (const auto& from_rank : world_.all_gather(rank_, out))
      for (const auto& [island, payload] : from_rank)
        if (static_cast<int>(island % static_cast<uint32_t>(ranks())) == rank_) mine.emplace_back(island, payload);
    std::sort(mine.begin(), mine.end(), [](const auto& a, const auto& b) { return a.first < b.first; });
    return mine;
  }
  std::vector<std::pair<uint32_t, std::string>> gather(std::vector<std::pair<uint32_t, std::string>> local) override {
    const auto all = world_.all_gather(rank_, local);
    if (rank_ != 0) return {};
    std::vector<std::pair<uint32_t, std::string>> out;
    for (const auto& r : all) out.insert(out.end(), r.begin(), r.end());
    std::sort(out.begin(), out.end(), [](const auto& a, const auto& b) { return a.first < b.first; });
    return out;
  }
  bool broadcast(bool value) override { return world_.all_gather(rank_, value)[0]; }

 private:
  ThreadWorld& world_;
  int rank_;
};

}  // namespace amlz::test
