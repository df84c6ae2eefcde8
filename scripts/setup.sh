#!/usr/bin/env bash
# Installs what amlz needs to build (if missing) and builds it into build/ (Release). Sourced by run.sh/test.sh;
# usable alone: scripts/setup.sh [extra cmake args]. CUDA is used when nvcc is found (/usr/local/cuda or PATH).
set -euo pipefail
cd "$(dirname "$0")/.."

packages=(build-essential cmake libeigen3-dev libcli11-dev libgtest-dev libhwy-dev zlib1g-dev dataset-fashion-mnist
          python3-numpy  # python3-numpy: the tests run the NumPy code of `amlz export`
          libopenmpi-dev openmpi-bin)  # islands across processes (mpirun); amlz builds without them too
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
  echo "amlz: installing missing packages: ${missing[*]}" >&2
  if [ "$(id -u)" -eq 0 ]; then sudo=""; elif command -v sudo >/dev/null; then sudo="sudo"; else
    echo "amlz: need root (or sudo) to install: ${missing[*]}" >&2; exit 1
  fi
  export DEBIAN_FRONTEND=noninteractive
  $sudo apt-get install -y --no-install-recommends "${missing[@]}" >/dev/null 2>&1 ||
    { $sudo apt-get update >/dev/null && $sudo apt-get install -y --no-install-recommends "${missing[@]}"; }
fi

jobs="${AMLZ_JOBS:-$(nproc)}"
cmake -S . -B build -DCMAKE_BUILD_TYPE=Release "$@" >/dev/null
cmake --build build -j "$jobs"
