// SPDX-License-Identifier: Apache-2.0
#include "dist/mpi_group.h"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <iostream>
#include <thread>

#include <climits>
#include <mpi.h>

#include "amlz/error.h"

namespace amlz::dist {
namespace {

// Waits for `n` requests: tests for a moment (a collective of ranks that are in step completes at once), then
// sleeps between tests so that a waiting rank leaves its core to the ranks still working.
void wait_all(MPI_Request* requests, int n) {
  const auto start = std::chrono::steady_clock::now();
  for (;;) {
    int done = 0;
    MPI_Testall(n, requests, &done, MPI_STATUSES_IGNORE);
    if (done) return;
    if (std::chrono::steady_clock::now() - start > std::chrono::microseconds(200))
      std::this_thread::sleep_for(std::chrono::microseconds(100));
  }
}

void wait_one(MPI_Request& request) { wait_all(&request, 1); }

// (island, payload) pairs as bytes: per pair a 4-byte island, an 8-byte length and the payload (host byte order:
// the ranks of one job run the same build).
void pack(std::string& out, uint32_t island, const std::string& payload) {
  const uint64_t size = payload.size();
  out.append(reinterpret_cast<const char*>(&island), sizeof island);
  out.append(reinterpret_cast<const char*>(&size), sizeof size);
  out.append(payload);
}

void unpack(const char* data, size_t bytes, std::vector<std::pair<uint32_t, std::string>>& out) {
  size_t at = 0;
  while (at < bytes) {
    uint32_t island = 0;
    uint64_t size = 0;
    AMLZ_CHECK(bytes - at >= sizeof island + sizeof size, "a truncated message between ranks");
    std::memcpy(&island, data + at, sizeof island);
    std::memcpy(&size, data + at + sizeof island, sizeof size);
    at += sizeof island + sizeof size;
    AMLZ_CHECK(bytes - at >= size, "a truncated message between ranks");
    out.emplace_back(island, std::string(data + at, size));
    at += size;
  }
}

int message_size(size_t bytes) {
  if (bytes > static_cast<size_t>(INT_MAX))
    throw Error("a message between ranks of " + std::to_string(bytes) + " bytes is larger than MPI allows in one");
  return static_cast<int>(bytes);
}

void by_island(std::vector<std::pair<uint32_t, std::string>>& v) {
  std::sort(v.begin(), v.end(), [](const auto& a, const auto& b) { return a.first < b.first; });
}

}  // namespace

MpiGroup::MpiGroup() {
  int initialised = 0;
  MPI_Initialized(&initialised);
  if (!initialised) {
    int provided = 0;
    MPI_Init_thread(nullptr, nullptr, MPI_THREAD_FUNNELED, &provided);
  }
  MPI_Comm_rank(MPI_COMM_WORLD, &rank_);
  MPI_Comm_size(MPI_COMM_WORLD, &ranks_);
}

MpiGroup::~MpiGroup() {
  int finalised = 0;
  MPI_Finalized(&finalised);
  if (finalised) return;
  MPI_Request barrier;
  MPI_Ibarrier(MPI_COMM_WORLD, &barrier);
  wait_one(barrier);
  MPI_Finalize();
}

SearchGroup::Agreement MpiGroup::agree(uint64_t local_steps, int local_stop) {
  Agreement a;
  MPI_Request r[2];
  MPI_Iallreduce(&local_steps, &a.steps, 1, MPI_UINT64_T, MPI_SUM, MPI_COMM_WORLD, &r[0]);
  MPI_Iallreduce(&local_stop, &a.stop, 1, MPI_INT, MPI_MAX, MPI_COMM_WORLD, &r[1]);
  wait_all(r, 2);
  return a;
}

void MpiGroup::reduce(std::vector<double>& sums, std::vector<double>& maxima) {
  // Every rank passes vectors of the same sizes (the same code computes them).
  MPI_Request r[2];
  int n = 0;
  if (!sums.empty())
    MPI_Iallreduce(MPI_IN_PLACE, sums.data(), message_size(sums.size()), MPI_DOUBLE, MPI_SUM, MPI_COMM_WORLD, &r[n++]);
  if (!maxima.empty())
    MPI_Iallreduce(MPI_IN_PLACE, maxima.data(), message_size(maxima.size()), MPI_DOUBLE, MPI_MAX, MPI_COMM_WORLD,
                   &r[n++]);
  wait_all(r, n);
}

std::vector<std::pair<uint32_t, std::string>> MpiGroup::exchange(
    uint64_t round, std::vector<std::pair<uint32_t, std::string>> outgoing) {
  const size_t n = static_cast<size_t>(ranks_);
  std::vector<std::string> to(n);
  for (const auto& [island, payload] : outgoing) pack(to[island % n], island, payload);
  std::vector<int> send_bytes(n), receive_bytes(n);
  for (size_t r = 0; r < n; ++r) send_bytes[r] = message_size(to[r].size());
  MPI_Request sizes;
  MPI_Ialltoall(send_bytes.data(), 1, MPI_INT, receive_bytes.data(), 1, MPI_INT, MPI_COMM_WORLD, &sizes);
  wait_one(sizes);

  // One message per pair of ranks that has migrants to pass, tagged with the round (a rank never runs ahead by
  // more than one round: the next one needs the batch agreement in between).
  const int tag = static_cast<int>(round % 32768);
  std::vector<std::string> from(n);
  std::vector<MPI_Request> requests;
  for (size_t r = 0; r < n; ++r) {
    if (receive_bytes[r] == 0) continue;
    from[r].resize(static_cast<size_t>(receive_bytes[r]));
    requests.emplace_back();
    MPI_Irecv(from[r].data(), receive_bytes[r], MPI_BYTE, static_cast<int>(r), tag, MPI_COMM_WORLD, &requests.back());
  }
  for (size_t r = 0; r < n; ++r) {
    if (send_bytes[r] == 0) continue;
    requests.emplace_back();
    MPI_Isend(to[r].data(), send_bytes[r], MPI_BYTE, static_cast<int>(r), tag, MPI_COMM_WORLD, &requests.back());
  }
  wait_all(requests.data(), static_cast<int>(requests.size()));

  std::vector<std::pair<uint32_t, std::string>> mine;
  for (const std::string& bytes : from) unpack(bytes.data(), bytes.size(), mine);
  for (const auto& m : mine)
    AMLZ_CHECK(m.first % n == static_cast<size_t>(rank_),
               "rank " + std::to_string(rank_) + " received migrants for island " + std::to_string(m.first));
  by_island(mine);
  return mine;
}

std::vector<std::pair<uint32_t, std::string>> MpiGroup::gather(std::vector<std::pair<uint32_t, std::string>> local) {
  std::string bytes;
  for (const auto& [island, payload] : local) pack(bytes, island, payload);
  int size = message_size(bytes.size());
  std::vector<int> sizes(rank_ == 0 ? static_cast<size_t>(ranks_) : 0);
  MPI_Request r;
  MPI_Igather(&size, 1, MPI_INT, sizes.data(), 1, MPI_INT, 0, MPI_COMM_WORLD, &r);
  wait_one(r);
  std::vector<int> offsets(sizes.size());
  size_t total = 0;
  for (size_t i = 0; i < sizes.size(); ++i) {
    offsets[i] = message_size(total);
    total += static_cast<size_t>(sizes[i]);
  }
  std::string all(rank_ == 0 ? static_cast<size_t>(message_size(total)) : 0, '\0');
  MPI_Igatherv(bytes.data(), size, MPI_BYTE, all.data(), sizes.data(), offsets.data(), MPI_BYTE, 0, MPI_COMM_WORLD, &r);
  wait_one(r);
  std::vector<std::pair<uint32_t, std::string>> out;
  if (rank_ != 0) return out;
  unpack(all.data(), all.size(), out);
  by_island(out);
  return out;
}

bool MpiGroup::broadcast(bool value) {
  int v = value ? 1 : 0;
  MPI_Request r;
  MPI_Ibcast(&v, 1, MPI_INT, 0, MPI_COMM_WORLD, &r);
  wait_one(r);
  return v != 0;
}

uint64_t MpiGroup::broadcast_number(uint64_t value) {
  MPI_Request r;
  MPI_Ibcast(&value, 1, MPI_UINT64_T, 0, MPI_COMM_WORLD, &r);
  wait_one(r);
  return value;
}

void MpiGroup::abort(int code) {
  // mpirun forwards each rank's output on its own time, and MPI_Abort ends the job at once: the message that says
  // why this rank ends it was seen cut short ("amlz search [rank 1]" and no more). A moment lets it through.
  std::cout.flush();
  std::cerr.flush();
  std::fflush(nullptr);
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  MPI_Abort(MPI_COMM_WORLD, code);
  std::_Exit(code);  // MPI_Abort does not return; should it, this process ends anyway
}

}  // namespace amlz::dist
