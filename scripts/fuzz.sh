#!/usr/bin/env bash
# Runs the libFuzzer targets of tests/fuzz, each for MINUTES (default 10), with AddressSanitizer and UBSan:
#   scripts/fuzz.sh [-j PARALLEL] [MINUTES] [TARGET...]      targets: config algorithm idx cifar csv npy
# Builds them with clang into build-fuzz/ (installs clang from Debian's packages when missing). New inputs go to
# build-fuzz/corpus/<target> (the seed corpus in tests/fuzz/corpus is read, not written); a crash is saved in
# tests/fuzz/crashes/<target>/, where ctest replays it from then on. Prints executions and crashes per target.
set -euo pipefail
cd "$(dirname "$0")/.."
parallel=1
if [ "${1:-}" = "-j" ]; then parallel="$2"; shift 2; fi
minutes="${1:-10}"
shift || true
targets=("$@")
[ ${#targets[@]} -gt 0 ] || targets=(config algorithm idx cifar csv npy)

if ! command -v clang++ >/dev/null; then
  if [ "$(id -u)" -eq 0 ]; then sudo=""; else sudo="sudo"; fi
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y --no-install-recommends clang >/dev/null
fi
CC=clang CXX=clang++ cmake -S . -B build-fuzz -DCMAKE_BUILD_TYPE=RelWithDebInfo -DAMLZ_FUZZ=ON -DAMLZ_CUDA=OFF \
  -DAMLZ_BUILD_TESTS=ON >/dev/null
cmake --build build-fuzz -j "$(nproc)" --target "${targets[@]/#/amlz_fuzz_}"

run_one() {
  local t="$1"
  mkdir -p "build-fuzz/corpus/$t" "tests/fuzz/crashes/$t"
  "build-fuzz/tests/fuzz/amlz_fuzz_$t" "build-fuzz/corpus/$t" "tests/fuzz/corpus/$t" \
    -max_total_time=$((minutes * 60)) -timeout=20 -rss_limit_mb=2048 -print_final_stats=1 \
    -artifact_prefix="tests/fuzz/crashes/$t/" >"build-fuzz/fuzz_$t.log" 2>&1 || true
  local execs crashes
  execs=$(grep -o 'stat::number_of_executed_units: *[0-9]*' "build-fuzz/fuzz_$t.log" | grep -o '[0-9]*$' || echo 0)
  crashes=$(find "tests/fuzz/crashes/$t" -type f | wc -l)
  echo "fuzz $t: ${minutes} min, ${execs:-0} executions, $crashes crash file(s) in tests/fuzz/crashes/$t (log build-fuzz/fuzz_$t.log)"
}
export -f run_one
export minutes
printf '%s\n' "${targets[@]}" | xargs -P "$parallel" -I{} bash -c 'run_one {}'
