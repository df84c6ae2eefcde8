// SPDX-License-Identifier: Apache-2.0
// The SearchGroup of an MPI job: every rank of MPI_COMM_WORLD runs its share of the islands (round-robin). The
// collectives are MPI's non-blocking ones, waited for politely (testing, then sleeping): a rank that waits for
// another (rank 0 evaluating the select tasks, a rank with fewer islands) does not spin a core the others need.
#pragma once
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "dist/launch.h"

namespace amlz::dist {

class MpiGroup final : public ProcessGroup {
 public:
  // Initialises MPI (at most once per process; threads: only the calling one talks to MPI).
  MpiGroup();
  // Waits for every rank, then finalises MPI.
  ~MpiGroup() override;
  MpiGroup(const MpiGroup&) = delete;
  MpiGroup& operator=(const MpiGroup&) = delete;

  int rank() const override { return rank_; }
  int ranks() const override { return ranks_; }
  // The ranks agree once per batch: none may stop alone in the middle of one.
  bool can_stop_mid_batch() const override { return false; }
  Agreement agree(uint64_t local_steps, int local_stop) override;
  void reduce(std::vector<double>& sums, std::vector<double>& maxima) override;
  // Migrants travel point to point (Isend/Irecv) after an all-to-all of their sizes; each rank gets the payloads
  // addressed to its islands, in island order.
  std::vector<std::pair<uint32_t, std::string>> exchange(
      uint64_t round, std::vector<std::pair<uint32_t, std::string>> outgoing) override;
  std::vector<std::pair<uint32_t, std::string>> gather(std::vector<std::pair<uint32_t, std::string>> local) override;
  bool broadcast(bool value) override;
  uint64_t broadcast_number(uint64_t value) override;
  [[noreturn]] void abort(int code) override;

 private:
  int rank_ = 0, ranks_ = 1;
};

}  // namespace amlz::dist
