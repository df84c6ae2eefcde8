#!/usr/bin/env bash
# The whole test suite: set up, build (tests included), run every test. GPU parity tests skip (and say so) when
# no CUDA device is present.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh -DAMLZ_BUILD_TESTS=ON
cd build
ctest --output-on-failure -j "${AMLZ_JOBS:-$(nproc)}"
