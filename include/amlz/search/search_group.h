// SPDX-License-Identifier: Apache-2.0
// The processes a search runs on. One process (the default) runs every island; under MPI (src/dist/) each rank runs
// its share of the islands, and the ranks agree on the budget and on stopping once per batch, pool population
// statistics, exchange migrants and gather each island's best (at the end, and while the pooled best rises, for
// rank 0's display). Islands go to ranks round-robin, so a run with K islands gives the same result on any number
// of processes that divides the work.
#pragma once
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

namespace amlz {

class SearchGroup {
 public:
  virtual ~SearchGroup() = default;
  virtual int rank() const { return 0; }  // rank 0 owns the output
  virtual int ranks() const { return 1; }

  // The islands (global indices, ascending) this process runs, of `islands` in all.
  std::vector<uint32_t> local_islands(uint32_t islands) const;

  // Once per batch, before it is made: the training steps of all processes' islands, and the stop wish of any
  // process (0 none, 1 time limit, 2 interrupted; the largest wins).
  struct Agreement {
    uint64_t steps = 0;
    int stop = 0;
  };
  virtual Agreement agree(uint64_t local_steps, int local_stop) { return {local_steps, local_stop}; }
  // A single process may stop in the middle of making a batch; processes that agree per batch may not.
  virtual bool can_stop_mid_batch() const { return true; }

  // Element-wise sums of `sums` and maxima of `maxima` over all processes (for progress statistics).
  virtual void reduce(std::vector<double>& sums, std::vector<double>& maxima) { (void)sums, (void)maxima; }

  // Migration round `round`: `outgoing` holds (destination island, encoded migrants) for every local island's
  // sending; returns (island, encoded migrants) for every local island's receiving, in island order.
  virtual std::vector<std::pair<uint32_t, std::string>> exchange(
      uint64_t round, std::vector<std::pair<uint32_t, std::string>> outgoing);

  // Every process's (key, encoded individuals) pairs, e.g. each local island's best keyed by its index; rank 0 gets
  // all processes' pairs ordered by key, the others nothing.
  virtual std::vector<std::pair<uint32_t, std::string>> gather(std::vector<std::pair<uint32_t, std::string>> local);

  // Rank 0's decision (e.g. whether another experiment runs), made known to all.
  virtual bool broadcast(bool value) { return value; }
};

}  // namespace amlz
