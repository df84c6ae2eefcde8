#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# The one script a GPU session runs (shared/gpu/README.md "The routine"): parity tests, compute-sanitizer, benchmark,
# with every log under OUT_DIR and a pass/fail summary printed last. Exit status: 0 only if every step passed.
#
#   bench/gpu_check.sh OUT_DIR
#
# It runs the binaries packed on a development machine by bench/gpu_pack.sh (build-gpu/carry: the two binaries and
# the shared libraries the GPU machine may lack, under the device tool's 64 MiB), carried along:
#   bench/gpu_pack.sh                 then, with the device tool: carry ["build-gpu/carry"], `bench/gpu_check.sh $OUT`
# (bench/gpu_pack.sh -DAMLZ_CUDA_MIN_BLOCKS=2 for the 128-register variant of the kernels, -DAMLZ_CUDA_SYNC_CHECK=ON
# to pin an asynchronous fault to its launch). Without build-gpu/carry it runs build-gpu's own binaries.
#
# Steps and their time limits (worst case 9.5 minutes, expected 3-5):
#   1. nvidia-smi                                             -> OUT_DIR/nvidia-smi.txt
#   2. parity tests, full size, every lane mapping           -> OUT_DIR/parity.log, parity.xml     (180 s)
#   3. launch plans chosen automatically (AMLZ_PARITY_VERBOSE) -> OUT_DIR/plans.log                 (45 s)
#   4. compute-sanitizer memcheck / racecheck / synccheck on a quick parity subset (AMLZ_PARITY_QUICK=1)
#                                                             -> OUT_DIR/{memcheck,racecheck,synccheck}.log (70 s each)
#   5. amlz bench (automatic lane mapping)                    -> OUT_DIR/bench.jsonl, bench.log     (120 s)
#   6. only if it can end within 8 minutes of the start: amlz bench --backends cuda --workloads seed_nn (F = 4, 8,
#      16) with each forced lane mapping --cuda-lanes 1..32 (clamped per F to the compiled pairs; the JSON's
#      device string and plans.log say which ran)           -> OUT_DIR/bench_L<L>.jsonl           (60 s each)
# Environment: AMLZ_GPU_CHECK_NO_SWEEP=1 skips step 6.
set -u

if [ $# -ne 1 ]; then
  echo "usage: $0 OUT_DIR" >&2
  exit 2
fi
OUT=$1
ROOT=$(cd "$(dirname "$0")/.." && pwd)
if [ -d "$ROOT/build-gpu/carry" ]; then
  PARITY=$ROOT/build-gpu/carry/amlz_parity_tests
  AMLZ=$ROOT/build-gpu/carry/amlz
  export LD_LIBRARY_PATH="$ROOT/build-gpu/carry/lib${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
else
  PARITY=$ROOT/build-gpu/tests/amlz_parity_tests
  AMLZ=$ROOT/build-gpu/amlz
fi
mkdir -p "$OUT"
OUT=$(cd "$OUT" && pwd)
cd "$ROOT" || exit 2

declare -a NAMES=()
declare -a RESULTS=()
FAILED=0

record() {  # record NAME RC   (RC 124/137 = timed out)
  local name=$1 rc=$2 verdict
  case $rc in
    0) verdict=PASS ;;
    124 | 137) verdict="FAIL (timed out)"; FAILED=1 ;;
    skip) verdict=SKIP ;;
    *) verdict="FAIL (exit $rc)"; FAILED=1 ;;
  esac
  NAMES+=("$name")
  RESULTS+=("$verdict")
  echo "== $name: $verdict"
}

# step NAME LIMIT_S LOG COMMAND...   runs COMMAND with a time limit, output to LOG (and a tail on screen)
step() {
  local name=$1 limit=$2 log=$3
  shift 3
  echo "== $name (limit ${limit}s): $*"
  timeout --signal=TERM --kill-after=10 "$limit" "$@" >"$log" 2>&1
  local rc=$?
  tail -n 5 "$log"
  record "$name" "$rc"
}

{
  echo "date: $(date -u +%Y-%m-%dT%H:%M:%SZ)"
  echo "host: $(hostname)"
  echo "commit: $(git -C "$ROOT" rev-parse HEAD 2>/dev/null || echo unknown) $(git -C "$ROOT" status --porcelain 2>/dev/null | wc -l) changed files"
  echo "command: $0 $*"
  echo "LD_LIBRARY_PATH: ${LD_LIBRARY_PATH:-}"
  [ -x "$AMLZ" ] && "$AMLZ" --version
  for bin in "$AMLZ" "$PARITY"; do [ -x "$bin" ] && { echo "ldd $bin:"; ldd "$bin"; }; done
} >"$OUT/info.txt" 2>&1
cat "$OUT/info.txt"

if [ ! -x "$PARITY" ] || [ ! -x "$AMLZ" ]; then
  echo "missing $PARITY or $AMLZ; run bench/gpu_pack.sh first (see the top of $0)" >&2
  record "binaries present" 1
elif ! "$AMLZ" --version >/dev/null 2>&1 || ! "$PARITY" --gtest_list_tests >/dev/null 2>&1; then
  echo "the binaries do not start here (a shared library missing? see ldd in $OUT/info.txt)" >&2
  record "binaries start" 1
else
  record "binaries start" 0
fi

# 1. The card.
if command -v nvidia-smi >/dev/null; then
  { nvidia-smi; nvidia-smi --query-gpu=name,memory.total,clocks.sm,clocks.max.sm,power.limit,driver_version --format=csv; } \
    >"$OUT/nvidia-smi.txt" 2>&1
  record "nvidia-smi" $?
  cat "$OUT/nvidia-smi.txt"
else
  record "nvidia-smi" 127
fi

if [ -x "$PARITY" ]; then
  # 2. Parity, full size. A run where every test SKIPPED means no device was found: that is a failure here.
  step "parity tests (full)" 180 "$OUT/parity.log" "$PARITY" --gtest_output="xml:$OUT/parity.xml"
  grep -E "^\[parity\]" "$OUT/parity.log" || true
  if grep -q "SKIPPED" "$OUT/parity.log" && ! grep -q "^\[  PASSED  \] [1-9]" "$OUT/parity.log"; then
    echo "every parity test skipped: the CUDA backend is not available here" >&2
    record "parity found a device" 1
  fi

  # 3. Which (F, L, warps/SM, bytes/warp) the planner picks, for bench/RESULTS.md.
  step "launch plans" 45 "$OUT/plans.log" env AMLZ_PARITY_VERBOSE=1 AMLZ_PARITY_QUICK=1 "$PARITY" \
    --gtest_filter='BackendParity.HandWrittenAlgorithms:BackendParity.ProgramTooLargeForSharedMemory'
  grep "amlz cuda:" "$OUT/plans.log" | sort | uniq -c | sort -rn | head -20 || true

  # 4. Sanitizers on a quick subset: every path (shared and global memory, L = 1 and L = F, aliasing, partial
  #    warps, budgets) at a size the instrumentation can afford.
  QUICK_FILTER='BackendParity.EveryOpAlone:BackendParity.CandidateCountsNotMultipleOfBlock:BackendParity.WorkItemSubsetsAndBudgets:BackendParity.ProgramTooLargeForSharedMemory'
  if command -v compute-sanitizer >/dev/null; then
    for tool in memcheck racecheck synccheck; do
      extra=()
      [ "$tool" = memcheck ] && extra=(--leak-check full)
      [ "$tool" = racecheck ] && extra=(--racecheck-report hazard)
      step "compute-sanitizer $tool" 70 "$OUT/$tool.log" env AMLZ_PARITY_QUICK=1 \
        compute-sanitizer --tool "$tool" "${extra[@]}" --error-exitcode 1 "$PARITY" --gtest_filter="$QUICK_FILTER"
    done
  else
    record "compute-sanitizer available" 127
  fi
fi

# 5. Throughput, automatic lane mapping (the CPU backend is measured in the same run by amlz bench).
if [ -x "$AMLZ" ]; then
  step "amlz bench" 120 "$OUT/bench.log" "$AMLZ" bench --out "$OUT/bench.jsonl"

  # 6. The lane-mapping sweep that settles the automatic choice, while time allows.
  if [ "${AMLZ_GPU_CHECK_NO_SWEEP:-0}" != "1" ]; then
    for lanes in 1 2 4 8 16 32; do
      if [ $((SECONDS + 60)) -gt 480 ]; then
        echo "== lane sweep stopped at L=$lanes: ${SECONDS}s used"
        record "amlz bench --cuda-lanes $lanes" skip
        continue
      fi
      step "amlz bench --cuda-lanes $lanes" 60 "$OUT/bench_L$lanes.log" \
        "$AMLZ" bench --backends cuda --workloads seed_nn --cuda-lanes "$lanes" --out "$OUT/bench_L$lanes.jsonl"
    done
  fi
fi

echo
echo "================ gpu_check summary (${SECONDS}s, logs in $OUT) ================"
for i in "${!NAMES[@]}"; do
  printf '  %-40s %s\n' "${NAMES[$i]}" "${RESULTS[$i]}"
done
if [ "$FAILED" -ne 0 ]; then
  echo "  RESULT: FAILED"
  exit 1
fi
echo "  RESULT: all steps passed"
exit 0
