#!/usr/bin/env bash
# Checks that every C++/CUDA source in git is formatted by .clang-format (run by CI after the tests). Installs
# clang-format from Debian's packages when it is missing. `scripts/check_format.sh --fix` rewrites the files.
set -euo pipefail
cd "$(dirname "$0")/.."
if ! command -v clang-format >/dev/null; then
  if [ "$(id -u)" -eq 0 ]; then sudo=""; else sudo="sudo"; fi
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y --no-install-recommends clang-format >/dev/null 2>&1 ||
    { $sudo apt-get update >/dev/null && $sudo apt-get install -y --no-install-recommends clang-format >/dev/null; }
fi
mapfile -t files < <(git ls-files '*.h' '*.cpp' '*.cu' '*.cuh')
if [ "${1:-}" = "--fix" ]; then
  clang-format -i "${files[@]}"
  exit 0
fi
if ! clang-format --dry-run --Werror "${files[@]}" 2>/tmp/amlz_format.log; then
  grep -E "^[^ ].*: (warning|error):" /tmp/amlz_format.log | cut -d: -f1 | sort -u | sed 's/^/not formatted: /' >&2
  echo "run scripts/check_format.sh --fix (clang-format $(clang-format --version | grep -o '[0-9]*\.[0-9.]*' | head -1))" >&2
  exit 1
fi
echo "format: ${#files[@]} files formatted as .clang-format says"
