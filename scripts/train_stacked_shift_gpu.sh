#!/usr/bin/env bash
# StackedGAN with shift-trained noise on a GPU machine (Keras 3 on JAX): several runs side by side,
# a snapshot of each run at every checkpoint, every snapshot evaluated with the project's evaluation,
# and the best few exported generators archived (a device returns at most 8 files: KEEP <= 6).
# Usage: scripts/train_stacked_shift_gpu.sh OUT_DIR TRAIN_SECONDS EVAL_N KEEP "name|train args" ...
#   A run named with --resume must already exist under runs/ (carried in).
# On one H100 (2026-11-22, git 7d4db1a): round 1 compared recipes (s1 resumed, b, c below); round 2 ran c at seeds 1
# and 2, and the shipped model is seed 2's 16,000-step snapshot:
#   W="--config shift_training=true --config entropy0_weight=0.5 --config entropy1_weight=0.5 \
#      --config conditional0_weight=3 --config conditional1_weight=3"
#   scripts/train_stacked_shift_gpu.sh OUT 330 2000 5 "s1|--resume --steps 100000" \
#     "b|--steps 100000 --config shift_training=true --config entropy0_weight=0.5 --config entropy1_weight=0.5" \
#     "c|--steps 100000 $W"
#   scripts/train_stacked_shift_gpu.sh OUT 420 2000 3 "c_seed1|--steps 16000 --seed 1 $W" "c_seed2|--steps 16000 --seed 2 $W"
set -u
out=${1:?OUT_DIR}; budget=${2:?TRAIN_SECONDS}; eval_n=${3:?EVAL_N}; keep=${4:?KEEP}; shift 4
export KERAS_BACKEND=${KERAS_BACKEND:-jax} PYTHONPATH=$PWD${PYTHONPATH:+:$PYTHONPATH} PYTHONUNBUFFERED=1 XLA_PYTHON_CLIENT_PREALLOCATE=false
cli="python3 -m trainers.cli"
mkdir -p "$out" runs snaps export evals/logs

step_of() { python3 -c "import json,sys; print(json.load(open(sys.argv[1]))['step'])" "$1" 2>/dev/null; }

snapshot_while_training() {  # copy each new checkpoint of run $1 to snaps/$1_STEP until its trainer exits
  local name=$1 pid=$2 last=""
  while kill -0 "$pid" 2>/dev/null; do
    sleep 5; snapshot_once "$name" last
  done
  snapshot_once "$name" last
}

snapshot_once() {
  local name=$1; local -n seen=$2; local step
  step=$(step_of "runs/$name/run.json") || return
  [ -n "$step" ] && [ "$step" != "$seen" ] || return
  local dest="snaps/${name}_$step"; mkdir -p "$dest"
  cp "runs/$name/checkpoint.npz" "runs/$name/run.json" "$dest/"
  [ "$(step_of "$dest/run.json")" = "$step" ] && seen=$step || rm -rf "$dest"  # torn copy: try again
}

for spec in "$@"; do
  name=${spec%%|*}; args=${spec#*|}
  timeout -s INT "$budget" $cli train stackedgan $args --out "runs/$name" --data bundled --precision float32 \
    --grid-every 4000 --checkpoint-every 4000 --metrics-every 1000 > "evals/logs/$name.log" 2>&1 &
  snapshot_while_training "$name" $! &
done
wait

evaluate_snapshot() {
  local snap=$1 name; name=$(basename "$snap")
  $cli export "$snap" "export/$name" > /dev/null 2>&1 && cp "$snap/run.json" "export/$name/" &&
    $cli evaluate "export/$name" --n "$eval_n" --json > "evals/$name.json" 2> "evals/$name.err"
}
for snap in snaps/*; do
  evaluate_snapshot "$snap" &
  while [ "$(jobs -rp | wc -l)" -ge 6 ]; do sleep 1; done
done
wait

python3 scripts/rank_snapshots.py evals > "$out/ranking.txt"
cat "$out/ranking.txt"
for name in $(head -n "$keep" "$out/ranking.txt" | awk '{print $1}'); do
  tar czf "$out/$name.tgz" -C export "$name"
done
for spec in "$@"; do name=${spec%%|*}; cp "runs/$name/metrics.csv" "evals/logs/${name}_metrics.csv" 2>/dev/null; done
tar czf "$out/evals.tgz" evals
