#!/usr/bin/env bash
# `amlz search` under mpirun (registered by tests/CMakeLists.txt when MPI was built, label mpi):
#   mpi_cli_test.sh AMLZ MPIEXEC "MPIEXEC FLAGS" SOURCE_DIR WORK_DIR CASE
# CASE: same_result (K islands over 2 and 3 ranks write what K islands in one process write), rank_error (a rank that
# fails ends the job with its message), rank_dies (a rank killed ends the job; rank 0's files so far stay), stop
# (SIGTERM to rank 1 alone stops every rank at the next batch; rank 0 writes the summary), bench (the islands
# throughput workload on 2 ranks), resume (a 2-rank run killed mid-evaluation resumes under mpirun from its last
# checkpoint to the uninterrupted 2-rank result), best (rank 0's in-run best follows every rank's islands).
set -uo pipefail
amlz=$1
mpiexec=$2
read -r -a flags <<<"$3"
src=$4
work=$5
case=$6
rm -rf "$work" && mkdir -p "$work" && cd "$src" || exit 1
fail() { echo "FAIL: $*" >&2; exit 1; }
common=(--config configs/linear_regression.toml --seed 5 --experiment.max_experiments 1
        --evolution.population_size 100 --islands.migrate_every 100 --threads 1)
small=("${common[@]}" --evolution.max_train_steps 6000000)

# The run directory's contents without what depends on time or on the number of processes.
normalised() {
  local d=$1
  cat "$d/best_algorithm.txt" "$d/seed.txt"
  grep -v "^# out = " "$d/config.toml"
  tr ',' '\n' <"$d/summary.json" | grep -v -e '"seconds"' -e '"processes"'
  cut -d, -f1,2,4,5,6,7,10 "$d/progress.csv"  # without elapsed time and rates
}

case $case in
same_result)
  "$amlz" search "${small[@]}" --islands.count 4 --out "$work/one" >"$work/one.out" 2>"$work/one.err" ||
    fail "one process: $(cat "$work/one.err")"
  for n in 2 3; do
    "$mpiexec" "${flags[@]}" -np $n "$amlz" search "${small[@]}" --islands.count 4 --out "$work/np$n" \
      >"$work/np$n.out" 2>"$work/np$n.err" || fail "$n ranks: $(cat "$work/np$n.err")"
    [ "$(ls -d "$work"/np$n* | wc -l)" -eq 3 ] || fail "$n ranks wrote more than one run directory: $(ls "$work")"
    grep -q '"processes":'$n "$work/np$n/summary.json" || fail "summary.json does not say $n processes"
    diff <(normalised "$work/one") <(normalised "$work/np$n") || fail "4 islands over $n ranks differ from one process"
    # Rank 0 alone prints: the same text as the single process (islands' select lines included).
    diff <(grep -v -e '^indivs=' "$work/one.out") <(grep -v -e '^indivs=' "$work/np$n.out") ||
      fail "$n ranks printed something else than one process"
    grep -q "Select fitness of island 3's best" "$work/np$n.out" || fail "rank 0 did not evaluate island 3's best"
    ! grep -q "rank [12]" "$work/np$n.err" || fail "ranks > 0 printed: $(cat "$work/np$n.err")"
  done
  grep -q "success" "$work/np2/summary.json" || fail "no summary"
  ;;
best)
  # 2 islands apart (no migration); with this seed rank 1's island ends fitter than rank 0's. Rank 0's
  # best_history.csv (and best_algorithm.txt during the run) follows every rank's islands, so it reaches the
  # search's best (and may pass it: a population's best can age out).
  "$mpiexec" "${flags[@]}" -np 2 "$amlz" search --config configs/linear_regression.toml --seed 4 \
    --experiment.max_experiments 1 --evolution.population_size 100 --threads 1 --islands.count 2 \
    --islands.migrate_every 0 --evolution.max_train_steps 3000000 --out "$work/run" >"$work/out" 2>"$work/err" ||
    fail "$(cat "$work/err")"
  best=$(tr ',' '\n' <"$work/run/summary.json" | sed -n 's/.*"best_search_fitness"://p')
  [ -n "$best" ] || fail "no best search fitness in the summary"
  awk -F, -v best="$best" 'NR > 1 && $6 + 1e-9 >= best {found = 1} END {exit !found}' "$work/run/best_history.csv" ||
    fail "best_history.csv never reached the best search fitness $best: $(cat "$work/run/best_history.csv")"
  ;;
rank_error)
  # Rank 1 is given a backend it cannot have (MPMD: one command per rank; no GPU visible to it): it fails after the
  # search started, while rank 0 waits for it.
  "$mpiexec" "${flags[@]}" -np 1 "$amlz" search "${small[@]}" --islands.count 2 --out "$work/run" : \
    -np 1 env CUDA_VISIBLE_DEVICES= "$amlz" search "${small[@]}" --islands.count 2 --out "$work/run" --backend cuda \
    >"$work/out" 2>"$work/err"
  rc=$?
  [ $rc -ne 0 ] || fail "a failing rank did not fail the job"
  grep -q "amlz search \[rank 1\]: error: .*cuda.*(ending all 2 ranks)" "$work/err" ||
    fail "no message from rank 1: $(cat "$work/err")"
  ;;
stop | rank_dies)
  # A long search; once rank 0 has written progress, rank 1 alone gets SIGTERM (stop) or SIGKILL (dies).
  "$mpiexec" "${flags[@]}" -np 2 "$amlz" search "${common[@]}" --islands.count 2 \
    --evolution.max_train_steps 100000000000 --out "$work/run" >"$work/out" 2>"$work/err" &
  job=$!
  rank1=""
  for _ in $(seq 1 300); do
    for pid in $(pgrep -f -- "--out $work/run" || true); do
      tr '\0' '\n' <"/proc/$pid/environ" 2>/dev/null | grep -qx "OMPI_COMM_WORLD_RANK=1" && rank1=$pid
    done
    [ -n "$rank1" ] && [ -s "$work/run/progress.csv" ] && break
    sleep 0.1
  done
  [ -n "$rank1" ] || { kill "$job"; fail "rank 1 not found"; }
  kill "$([ "$case" = stop ] && echo -TERM || echo -KILL)" "$rank1"
  wait "$job"
  rc=$?
  [ $rc -ne 0 ] || fail "the job exited 0"
  if [ "$case" = rank_dies ]; then
    # mpirun ends the job; rank 0's files so far stay.
    [ -s "$work/run/progress.csv" ] && [ -f "$work/run/config.toml" ] || fail "rank 0's files did not stay"
    ! grep -q '"stop"' "$work/run/summary.json" 2>/dev/null || fail "a summary after a rank died?"
    echo "ok: $case"
    exit 0
  fi
  grep -q "stopped by a stop request (signal) to another rank in the search phase" "$work/err" ||
    fail "rank 0 did not say why it stopped: $(cat "$work/err")"
  grep -q '"stop":"interrupted"' "$work/run/summary.json" || fail "rank 0 did not stop: $(cat "$work/run/summary.json")"
  grep -q '"stopped_in":"search"' "$work/run/summary.json" || fail "not stopped in the search"
  [ -s "$work/run/best_algorithm.txt" ] || fail "no best algorithm"
  ;;
resume)
  "$mpiexec" "${flags[@]}" -np 2 "$amlz" search "${small[@]}" --islands.count 4 --checkpoint-every 1e-9 --out "$work/whole" \
    >"$work/whole.out" 2>"$work/whole.err" || fail "uninterrupted: $(cat "$work/whole.err")"
  # Every batch checkpointed; the ranks SIGKILL themselves at their 60th backend call (test hook), mid-search.
  AMLZ_TEST_KILL_IN_EVALUATION=60 "$mpiexec" "${flags[@]}" -np 2 "$amlz" search "${small[@]}" --islands.count 4 \
    --checkpoint-every 1e-9 --out "$work/killed" >"$work/killed.out" 2>"$work/killed.err" &&
    fail "the test hook did not kill the run"
  [ -s "$work/killed/checkpoint" ] || fail "no checkpoint before the kill: $(ls "$work/killed")"
  ! grep -q '"stop"' "$work/killed/summary.json" 2>/dev/null || fail "a summary from a killed run?"
  "$mpiexec" "${flags[@]}" -np 2 "$amlz" search --resume "$work/killed" >"$work/resumed.out" 2>"$work/resumed.err" ||
    fail "resume: $(cat "$work/resumed.err")"
  grep -q "resuming run directory" "$work/resumed.err" || fail "did not resume: $(cat "$work/resumed.err")"
  diff <(normalised "$work/whole") <(normalised "$work/killed") || fail "the resumed run differs from the whole one"
  ;;
bench)
  # The throughput part of the islands workload: rank 0 alone, then 2 ranks, the same search both times.
  "$mpiexec" "${flags[@]}" -np 2 "$amlz" bench --workloads islands_throughput --quick >"$work/out" 2>"$work/err" ||
    fail "bench: $(cat "$work/err")"
  [ "$(grep -c '"bench":"islands_throughput"' "$work/out")" -eq 2 ] || fail "not one line per rank count: $(cat "$work/out")"
  grep -q '"ranks":2,.*"scaling_efficiency":[0-9.e+-]*,"cpu_efficiency":[0-9.e+-]*,"same_search_as_one_rank":true' \
    "$work/out" ||
    fail "2 ranks did not run the search 1 rank ran: $(cat "$work/out")"
  ;;
*) fail "unknown case $case" ;;
esac
echo "ok: $case"
