#!/usr/bin/env bash
# The Fashion-MNIST runs of 2026-12-01 on a 2-core Intel Xeon (AVX-512-BF16/AMX), with the project's CLI:
#   1. the project's Fashion-MNIST classifier (the judge of label accuracy and the Fréchet distance),
#      EPOCHS epochs on the 68,000 non-held-out images, into resources/models/classifier-fashion;
#   2. ACGAN (the book's aux head) on Fashion-MNIST, STEPS steps, evaluated on 10,000 samples.
# Needs Debian's dataset-fashion-mnist (/usr/share/datasets/fashion-mnist).
# Usage: scripts/train_fashion_cpu.sh OUT_DIR [EPOCHS] [STEPS]
set -eu
out=${1:?OUT_DIR}; epochs=${2:-10}; steps=${3:-3000}
mkdir -p "$out"
if [ ! -f resources/models/classifier-fashion/classifier.json ]; then
  python -m trainers.classifier --data fashion --epochs "$epochs"
fi
run="$out/acgan_fashion"
gan-explorer train acgan --data fashion --out "$run" --steps "$steps" --metrics-every 500 --checkpoint-every 250 \
  --grid-every 250 $( [ -d "$run" ] && echo --resume )
gan-explorer evaluate "$run" --n 10000 --json --save-card > "$out/acgan_fashion.json"
