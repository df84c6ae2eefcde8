// SPDX-License-Identifier: Apache-2.0
// Joining the processes an MPI launcher (mpirun, mpiexec) started. Plain `amlz` never touches MPI: the launcher is
// recognised by the environment it gives its processes, and MPI is initialised only then.
#pragma once
#include <cstdint>
#include <memory>
#include <string>

#include "amlz/search/search_group.h"

namespace amlz::dist {

// The processes of one job: the SearchGroup a search spreads its islands over, plus what the driver needs around it.
class ProcessGroup : public SearchGroup {
 public:
  // Ends every process of the job at once with exit status `code` (a rank that cannot go on; the others would wait
  // for it forever). Does not return.
  [[noreturn]] virtual void abort(int code) = 0;
  // Rank 0's `value` (e.g. the run seed it drew), made known to all.
  virtual uint64_t broadcast_number(uint64_t value) = 0;
};

// Whether this process was started by an MPI launcher: Open MPI (OMPI_COMM_WORLD_SIZE), PMIx (PMIX_RANK) or a
// PMI launcher such as MPICH's Hydra (PMI_RANK, PMI_SIZE).
bool launched_by_mpi();

// Whether this amlz was built with the MPI search group (cmake -DAMLZ_MPI).
bool mpi_built();

// Joins the launcher's job: a group of all its processes when launched by mpirun, nullptr for a plain start.
// Throws amlz::Error when launched with several ranks by an amlz built without MPI (each rank would otherwise run
// the whole search on its own, into the same run directory).
std::unique_ptr<ProcessGroup> join_launched_group();

// "rank R" of a group, for messages; empty for a plain start.
std::string rank_label(const ProcessGroup* group);

}  // namespace amlz::dist
