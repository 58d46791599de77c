#!/usr/bin/env bash
# The Fashion-MNIST runs on the 2-core CPU, with the project's CLI:
#   1. the project's Fashion-MNIST classifier (the judge of label accuracy and the Fréchet distance),
#      EPOCHS epochs on the 68,000 non-held-out images, into resources/models/classifier-fashion (2026-12-01);
#   2. ACGAN with the fake-class head, the source's 32×32 DCGAN generator and a moving average of its
#      weights, STEPS steps (33,000 for the shipped model; rerunning resumes the run);
#   3. its averaged generator fine-tuned against a fresh discriminator that also sees the batch's feature
#      spread (batch_stddev; the fresh discriminator is what lowers the Fréchet distance, a control run
#      without batch_stddev did as well at 4,000 steps), 500 steps of discriminator warm-up first, TUNE_STEPS steps in all
#      (the shipped model: 2026-12-02);
#   each evaluated on 10,000 samples.
# Needs Debian's dataset-fashion-mnist (/usr/share/datasets/fashion-mnist).
# Usage: scripts/train_fashion_cpu.sh OUT_DIR [EPOCHS] [STEPS] [TUNE_STEPS]
set -eu
out=${1:?OUT_DIR}; epochs=${2:-10}; steps=${3:-33000}; tune_steps=${4:-10000}
mkdir -p "$out"
if [ ! -f resources/models/classifier-fashion/classifier.json ]; then
  python -m trainers.classifier --data fashion --epochs "$epochs"
fi
run="$out/fashion_dcgan"
settings="--config head=fake-class --config generator=dcgan --config generator_ema=0.999"
if [ -d "$run" ]; then start="--resume"; else start="--data fashion $settings"; fi
gan-explorer train acgan $start --out "$run" --steps "$steps" --metrics-every 2000 --checkpoint-every 250 \
  --grid-every 1000
gan-explorer evaluate "$run" --n 10000 --json > "$out/fashion_dcgan.json"
gan-explorer export "$run" "$out/fashion_dcgan_generator"
tuned="$out/fashion_stddev"
if [ -d "$tuned" ]; then start="--resume"; else
  start="--data fashion $settings --config batch_stddev=true --init-from $out/fashion_dcgan_generator --generator-warmup 500"
fi
gan-explorer train acgan $start --out "$tuned" --steps "$tune_steps" --metrics-every 1000 --checkpoint-every 250 \
  --grid-every 1000
gan-explorer evaluate "$tuned" --n 10000 --json > "$out/fashion_stddev.json"
