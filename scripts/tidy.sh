#!/usr/bin/env bash
# clang-tidy with the repository's .clang-tidy over every host source in src/ (not part of CI: ~10 minutes on two
# cores). Needs a configured build folder for compile_commands.json: scripts/tidy.sh [BUILD_DIR, default build].
set -euo pipefail
cd "$(dirname "$0")/.."
build="${1:-build}"
[ -f "$build/compile_commands.json" ] || { echo "no $build/compile_commands.json: configure with cmake first" >&2; exit 2; }
mapfile -t files < <(git ls-files 'src/*.cpp')
printf '%s\n' "${files[@]}" | xargs -P "$(nproc)" -n 4 clang-tidy -p "$build" --quiet 2>/dev/null
echo "clang-tidy: ${#files[@]} files clean"
