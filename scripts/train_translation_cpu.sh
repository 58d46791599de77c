#!/usr/bin/env bash
# The paired image-to-image runs (Fashion-MNIST photos <-> Canny sketches, 32x32), with the project's CLI,
# one after another on a 2-core CPU (two at once only share the same two cores):
#   1. sketch -> photo, class from a separate classifier (the Q&A's answer), STEPS steps, G's weights
#      averaged (momentum 0.999), G's loss 100 L1 + 0.6 adversarial + 0.5 class: shipped. (With 1 / 1 the L1
#      read 1.12x the L1-only generator's, with 0.5 / 1 the judge read the photos 3.3 points above real ones.)
#   2. the same generator trained on L1 alone (no D, no class) for as many steps, averaged alike: pix2pix's
#      baseline.
#   3. photo -> sketch, class from a separate classifier, STEPS steps: shipped.
#   4. the class-information table: none / d-class / d-fake-class / classifier x seeds 0, 1, 2 at TABLE_STEPS
#      steps each (photo -> sketch, the asker's direction), each evaluated (table/OPTION_sSEED.json).
# Every run is evaluated on the 2,000 held-out pairs (NAME.json); a finished step is skipped on a rerun.
# Usage: scripts/train_translation_cpu.sh OUT_DIR [STEPS] [TABLE_STEPS]
set -eu
out=${1:?OUT_DIR}; steps=${2:-10000}; table_steps=${3:-2000}
common=(--data fashion-edges --checkpoint-every 500 --grid-every 500)
mkdir -p "$out/table"
run() {  # NAME STEPS [train flags]: train (or resume) and evaluate
  local name=$1 n=$2; shift 2
  [ -f "$out/$name.json" ] && return
  gan-explorer train pix2pix --out "$out/$name" --steps "$n" $( [ -d "$out/$name" ] && echo --resume ) \
    "${common[@]}" "$@"
  gan-explorer evaluate "$out/$name" --n 2000 --json --save-card > "$out/$name.json"
}
run sketch2photo "$steps" --metrics-every 1000 --config generator_ema=0.999 --config adversarial_weight=0.6 \
  --config class_weight=0.5
run sketch2photo-l1 "$steps" --metrics-every 1000 --config adversarial_weight=0 --config class_info=none \
  --config generator_ema=0.999
run photo2sketch "$steps" --metrics-every 1000 --config direction=photo-to-sketch
for seed in 0 1 2; do
  for option in none d-class d-fake-class classifier; do
    run "table/${option}_s$seed" "$table_steps" --metrics-every 0 --seed "$seed" \
      --config direction=photo-to-sketch --config class_info="$option"
  done
done
