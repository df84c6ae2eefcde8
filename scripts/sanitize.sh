#!/usr/bin/env bash
# The CPU test suite (everything but the GPU tests) under AddressSanitizer and UndefinedBehaviorSanitizer: a
# separate build in build-asan/ (Debug-level optimisation keeps the reports readable). CI runs it after
# scripts/test.sh, which has already installed the packages. Without MPI: Open MPI keeps memory until exit, which
# LeakSanitizer would report; the MPI tests run in the main suite.
set -euo pipefail
cd "$(dirname "$0")/.."
jobs="${AMLZ_JOBS:-$(nproc)}"
cmake -S . -B build-asan -DCMAKE_BUILD_TYPE=RelWithDebInfo -DAMLZ_SANITIZE=ON -DAMLZ_CUDA=OFF -DAMLZ_MPI=OFF \
  -DAMLZ_BUILD_TESTS=ON \
  >/dev/null
cmake --build build-asan -j "$jobs"
cd build-asan
ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
  ctest --output-on-failure -j "$jobs" -LE gpu
