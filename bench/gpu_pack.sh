#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Builds what bench/gpu_check.sh runs on the GPU machine and packs it for the device tool, which carries at most
# 64 MiB and reaches a machine where nothing can be installed (../shared/gpu/README.md):
#
#   bench/gpu_pack.sh [extra cmake -D options]     -> build-gpu/carry/{amlz, amlz_parity_tests, lib/}
#
# The whole build folder is ~150 MB of objects; the pack is the two binaries, stripped, and the shared libraries
# they need beyond glibc, libstdc++ and libgcc (Highway, zlib, the CUDA runtime), which the GPU machine may lack.
# MPI is left out of this build: the GPU check runs no mpirun, and Open MPI's libraries are the ones most likely
# to differ there. Then, with the device tool: carry ["build-gpu/carry"], run `bench/gpu_check.sh $OUT`.
set -euo pipefail
cd "$(dirname "$0")/.."
limit_mib=60  # the device tool's 64 MiB, less room for the working tree that travels with it

cmake -S . -B build-gpu -DAMLZ_CUDA=ON -DAMLZ_MPI=OFF -DCMAKE_CUDA_ARCHITECTURES=90 -DCMAKE_BUILD_TYPE=Release \
  -DAMLZ_BUILD_TESTS=ON "$@"
cmake --build build-gpu -j"${AMLZ_JOBS:-$(nproc)}" --target amlz_cli amlz_parity_tests

carry=build-gpu/carry
rm -rf "$carry"
mkdir -p "$carry/lib"
cp build-gpu/amlz build-gpu/tests/amlz_parity_tests "$carry/"
strip "$carry/amlz" "$carry/amlz_parity_tests"

# The libraries to take: what ldd resolves, less what every Linux with a C++ toolchain has.
ldd "$carry/amlz" "$carry/amlz_parity_tests" | awk '/=> \// {print $3}' | sort -u | while read -r lib; do
  case $(basename "$lib") in
    libc.so.* | libm.so.* | libdl.so.* | libpthread.so.* | librt.so.* | libstdc++.so.* | libgcc_s.so.*) ;;
    *) cp -L "$lib" "$carry/lib/" ;;
  esac
done
if ldd "$carry/amlz" | grep -q "libmpi"; then
  echo "gpu_pack: amlz links Open MPI; configure build-gpu with -DAMLZ_MPI=OFF" >&2
  exit 1
fi

size_mib=$(du -sm "$carry" | cut -f1)
ls -l "$carry" "$carry/lib"
echo "gpu_pack: $carry is ${size_mib} MiB (limit ${limit_mib})"
if [ "$size_mib" -gt "$limit_mib" ]; then
  echo "gpu_pack: too large for the device tool" >&2
  exit 1
fi
