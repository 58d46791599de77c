#!/usr/bin/env bash
# The Fashion-MNIST runs on the 2-core CPU, with the project's CLI:
#   1. the project's Fashion-MNIST classifier (the judge of label accuracy and the Fréchet distance),
#      EPOCHS epochs on the 68,000 non-held-out images, into resources/models/classifier-fashion (2026-12-01);
#   2. ACGAN with the fake-class head on Fashion-MNIST, STEPS steps (2026-12-02);
#   3. a fine-tune of it with a moving average of the generator's weights (generator_ema), EMA_STEPS steps;
#   each evaluated on 10,000 samples.
# Needs Debian's dataset-fashion-mnist (/usr/share/datasets/fashion-mnist).
# Usage: scripts/train_fashion_cpu.sh OUT_DIR [EPOCHS] [STEPS] [EMA_STEPS]
set -eu
out=${1:?OUT_DIR}; epochs=${2:-10}; steps=${3:-10000}; ema_steps=${4:-4000}
mkdir -p "$out"
if [ ! -f resources/models/classifier-fashion/classifier.json ]; then
  python -m trainers.classifier --data fashion --epochs "$epochs"
fi
every="--checkpoint-every 250 --grid-every 500"
fc="--config head=fake-class"
run="$out/acgan_fc"
if [ -d "$run" ]; then start="--resume"; else start="--data fashion $fc"; fi
gan-explorer train acgan $start --out "$run" --steps "$steps" --metrics-every 1000 $every
gan-explorer evaluate "$run" --n 10000 --json > "$out/acgan_fc.json"
ema="$out/acgan_fc_ema"
if [ -d "$ema" ]; then start="--resume"; else start="--data fashion --init-from $run $fc --config generator_ema=0.999"; fi
gan-explorer train acgan $start --out "$ema" --steps "$ema_steps" --metrics-every 500 $every
gan-explorer evaluate "$ema" --n 10000 --json > "$out/acgan_fc_ema.json"
