#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# What progressive dynamic hurdles buy (issue 10): the same searches with hurdles off and on, over several seeds, on
# the demo (configs/linear_regression.toml, at most 5 experiments of 2e8 training steps) and on the teacher-network
# config (configs/nn_regression.toml, 2e9 training steps). Prints one JSON line per run and one per (config,
# hurdles) summary: training steps per individual (deterministic for a seed), success rate, median final fitness,
# median seconds (these depend on the machine and its load).
#
#   bench/hurdles_study.sh [SEEDS] [OUT_DIR]        SEEDS defaults to 10; AMLZ=path/to/amlz (default build/amlz)
#
# Success: the demo's own criterion (a select fitness > 0.9999 within the 5 experiments); for the teacher network,
# a final fitness above linear regression's on the same final tasks (configs/algorithms/linear.txt, 0.187310).
set -euo pipefail
cd "$(dirname "$0")/.."
seeds="${1:-10}"
out="${2:-$(mktemp -d)}"
amlz="${AMLZ:-build/amlz}"
mkdir -p "$out"

run() {  # name config hurdles seed extra...
  local name="$1" config="$2" hurdles="$3" seed="$4"
  shift 4
  local dir="$out/$name-hurdles_$hurdles-seed$seed"
  rm -rf "$dir"
  "$amlz" search --config "$config" --seed "$seed" --hurdles.enabled "$hurdles" --threads 1 --quiet --out "$dir" \
    "$@" >/dev/null
  python3 - "$dir/summary.json" "$name" "$hurdles" <<'PY'
import json, sys
s = json.load(open(sys.argv[1]))
name, hurdles = sys.argv[2], sys.argv[3] == "true"
final = s["final_fitness"]
success = s["success"] if name == "demo" else (final is not None and final > 0.187310)
print(json.dumps({"study": "hurdles", "config": name, "hurdles": hurdles, "seed": s["seed"],
                  "experiments": s["experiments"], "individuals": s["individuals"],
                  "train_steps": s["train_steps"], "steps_per_individual": s["train_steps"] / s["individuals"],
                  "steps_avoided": s["hurdle_steps_avoided"], "success": success, "final_fitness": final,
                  "seconds": s["seconds"]}))
PY
}

for hurdles in false true; do
  for seed in $(seq 1 "$seeds"); do
    run demo configs/linear_regression.toml "$hurdles" "$seed" --experiment.max_experiments 5
    run nn configs/nn_regression.toml "$hurdles" "$seed" --evolution.max_train_steps 2000000000
  done
done | tee "$out/runs.jsonl"

python3 - "$out/runs.jsonl" <<'PY'
import json, statistics, sys
runs = [json.loads(l) for l in open(sys.argv[1])]
for name in ("demo", "nn"):
    for hurdles in (False, True):
        r = [x for x in runs if x["config"] == name and x["hurdles"] == hurdles]
        finals = [x["final_fitness"] for x in r if x["final_fitness"] is not None]
        print(json.dumps({"study": "hurdles", "summary": True, "config": name, "hurdles": hurdles, "runs": len(r),
                          "steps_per_individual": sum(x["train_steps"] for x in r) / sum(x["individuals"] for x in r),
                          "success_rate": sum(x["success"] for x in r) / len(r),
                          "median_final_fitness": statistics.median(finals) if finals else None,
                          "median_seconds": statistics.median(x["seconds"] for x in r)}))
PY
