#!/usr/bin/env bash
# The book's update order against the simultaneous update (trainers/families/infogan.py, --config
# update=...), InfoGAN at the same step count over seeds 0, 1, 2, on one CPU machine, one run after
# another; each run evaluated on 10,000 samples (updates/ORDER_sSEED.json), then the README's table:
#   python scripts/update_order_table.py OUT_DIR
# Usage: [SEEDS="0 1 2"] scripts/compare_update_order_cpu.sh OUT_DIR [STEPS]
set -eu
out=${1:?OUT_DIR}; steps=${2:-1500}
mkdir -p "$out/updates"
for seed in ${SEEDS:-0 1 2}; do
  for order in book simultaneous; do
    run="$out/infogan_${order}_s$seed"
    [ -f "$out/updates/${order}_s$seed.json" ] && continue
    start=$(date +%s)
    gan-explorer train infogan --out "$run" --steps "$steps" --seed "$seed" --data bundled \
      --checkpoint-every 250 --grid-every 500 --config update="$order" $( [ -d "$run" ] && echo --resume )
    echo "$(( $(date +%s) - start ))" > "$run/wall_seconds"
    gan-explorer evaluate "$run" --n 10000 --json > "$out/updates/${order}_s$seed.json"
  done
done
