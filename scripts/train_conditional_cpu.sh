#!/usr/bin/env bash
# The CGAN and ACGAN runs of 2026-12-01 on a 2-core Intel Xeon (AVX-512-BF16/AMX, bfloat16), with the
# project's CLI, one run after another (two at once only share the same two cores):
#   1. CGAN, CGAN_STEPS steps (the shipped CGAN).
#   2. ACGAN's three discriminator heads (aux, fake-class, classifier) x seeds 0, 1, 2 at HEAD_STEPS steps
#      each, every run evaluated on 10,000 samples (heads/HEAD_sSEED.json): the README's heads table.
# The best head's seed-0 run is then resumed to more steps for shipping (scripts/ship_acgan_cpu.sh).
# Usage: [SEEDS="1 2"] scripts/train_conditional_cpu.sh OUT_DIR [CGAN_STEPS] [HEAD_STEPS]
set -eu
out=${1:?OUT_DIR}; cgan_steps=${2:-6000}; head_steps=${3:-1000}
common=(--data auto --checkpoint-every 250 --grid-every 250)
mkdir -p "$out/heads"
if [ ! -f "$out/cgan.json" ]; then
  gan-explorer train cgan --out "$out/cgan" --steps "$cgan_steps" --metrics-every 500 \
    $( [ -d "$out/cgan" ] && echo --resume ) "${common[@]}"
  gan-explorer evaluate "$out/cgan" --n 10000 --json --save-card > "$out/cgan.json"
fi
for seed in ${SEEDS:-0 1 2}; do
  for head in aux fake-class classifier; do
    run="$out/acgan_${head}_s$seed"
    [ -f "$out/heads/${head}_s$seed.json" ] && continue
    gan-explorer train acgan --out "$run" --steps "$head_steps" --metrics-every 250 --seed "$seed" \
      --config head="$head" $( [ -d "$run" ] && echo --resume ) "${common[@]}"
    gan-explorer evaluate "$run" --n 10000 --json > "$out/heads/${head}_s$seed.json"
  done
done
