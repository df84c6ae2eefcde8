// SPDX-License-Identifier: Apache-2.0
#include "dist/launch.h"

#include <algorithm>
#include <cstdlib>

#include "amlz/error.h"

#if defined(AMLZ_HAS_MPI)
#include "dist/mpi_group.h"
#endif

namespace amlz::dist {
namespace {

#if !defined(AMLZ_HAS_MPI)
// The launcher's number for `name`, or -1 when it is not set or not a number.
long env_number(const char* name) {
  const char* v = std::getenv(name);
  if (v == nullptr || *v == '\0') return -1;
  char* end = nullptr;
  const long n = std::strtol(v, &end, 10);
  return *end == '\0' && n >= 0 ? n : -1;
}
#endif

}  // namespace

bool launched_by_mpi() {
  for (const char* name : {"OMPI_COMM_WORLD_SIZE", "PMIX_RANK", "PMI_RANK", "PMI_SIZE"})
    if (std::getenv(name) != nullptr) return true;
  return false;
}

bool mpi_built() {
#if defined(AMLZ_HAS_MPI)
  return true;
#else
  return false;
#endif
}

std::unique_ptr<ProcessGroup> join_launched_group() {
  if (!launched_by_mpi()) return nullptr;
#if defined(AMLZ_HAS_MPI)
  return std::make_unique<MpiGroup>();
#else
  // Without MPI a launched process can only tell its rank and size from the environment.
  const long size = std::max(env_number("OMPI_COMM_WORLD_SIZE"), env_number("PMI_SIZE"));
  const long rank = std::max({env_number("OMPI_COMM_WORLD_RANK"), env_number("PMIX_RANK"), env_number("PMI_RANK")});
  if (size > 1 || rank > 0)
    throw Error(
        "started by mpirun with several processes, but this amlz was built without MPI (install an MPI "
        "library, e.g. Debian's libopenmpi-dev, and configure with -DAMLZ_MPI=ON)");
  return nullptr;
#endif
}

std::string rank_label(const ProcessGroup* group) {
  return group ? "rank " + std::to_string(group->rank()) : std::string();
}

}  // namespace amlz::dist
