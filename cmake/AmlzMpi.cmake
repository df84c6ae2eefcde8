# AMLZ_MPI=AUTO builds the MPI search group (src/dist/, islands over `mpirun` ranks) when an MPI library is found, ON
# insists, OFF skips it. Without it, amlz refuses to run under mpirun with more than one rank rather than run N
# independent searches into one run directory.
set(AMLZ_MPI "AUTO" CACHE STRING "Build the MPI search group (islands across processes): AUTO, ON or OFF")
set_property(CACHE AMLZ_MPI PROPERTY STRINGS AUTO ON OFF)
set(AMLZ_HAS_MPI OFF)
if(NOT AMLZ_MPI STREQUAL "OFF")
  # The C API, through the C++ compiler's wrapper flags (the project enables no C language); no MPI C++ bindings.
  set(MPI_CXX_SKIP_MPICXX ON)
  find_package(MPI COMPONENTS CXX QUIET)
  if(MPI_CXX_FOUND)
    set(AMLZ_HAS_MPI ON)
    # The launcher the MPI tests run under (mpiexec of the same installation).
    if(NOT MPIEXEC_EXECUTABLE)
      find_program(MPIEXEC_EXECUTABLE NAMES mpiexec mpirun)
    endif()
    # Open MPI refuses more ranks than cores (CI has 2) and runs as root (containers) only when told.
    set(AMLZ_MPIEXEC_FLAGS "")
    if(MPIEXEC_EXECUTABLE)
      execute_process(COMMAND ${MPIEXEC_EXECUTABLE} --version OUTPUT_VARIABLE amlz_mpiexec_version ERROR_QUIET)
      if(amlz_mpiexec_version MATCHES "Open MPI|OpenRTE")
        set(AMLZ_MPIEXEC_FLAGS --oversubscribe --allow-run-as-root)
      endif()
    endif()
  elseif(AMLZ_MPI STREQUAL "ON")
    message(FATAL_ERROR "AMLZ_MPI=ON but no MPI library was found (Debian: apt-get install libopenmpi-dev openmpi-bin)")
  else()
    message(STATUS "AMLZ_MPI=AUTO: no MPI library found, building without islands across processes")
  endif()
endif()
message(STATUS "amlz: MPI search group ${AMLZ_HAS_MPI}")
