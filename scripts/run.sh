#!/usr/bin/env bash
# The main job: set up, build, then rediscover linear regression from random programs
# (configs/linear_regression.toml) on the GPU when one is present, else on the CPU. Extra arguments go to
# `amlz search` (e.g. --seed 7, --backend cpu, --max-seconds 300).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
exec build/amlz search --config configs/linear_regression.toml "$@"
