#!/usr/bin/env bash
# The runs of 2026-11-22 on a 2-core CPU, with the project's CLI.
#   InfoGAN: fine-tune the 40k-step generator (git e77e913) with a fresh discriminator whose label head learns from
#   real digits only (fake_label_weight=0): 600 steps with the generator frozen (g_lr=0) so the new
#   discriminator catches up, then N steps of both.
#   StackedGAN: trained anew with noise shifted over each slider's range (shift_training=true), the
#   book's loss weights; run s1 of resources/models/stackedgan/MODEL_CARD.md (not the shipped one).
# BASE: the InfoGAN generator before this fine-tune (the 40k-step model, in git history:
#   mkdir base && git show e77e913:resources/models/infogan/generator.npz > base/generator.npz &&
#   git show e77e913:resources/models/infogan/model.json > base/model.json)
# Usage: scripts/finetune_shipped_cpu.sh OUT_DIR BASE [INFOGAN_STEPS] [STACKEDGAN_STEPS]
set -eu
out=${1:?OUT_DIR}; base=${2:?BASE}; info_steps=${3:-1000}; stacked_steps=${4:-10000}
common=(--data bundled --precision float32 --checkpoint-every 250 --grid-every 250)
gan-explorer train infogan --init-from "$base" --out "$out/infogan_d_warmup" --steps 600 \
  --metrics-every 200 --config code_weight=1.0 --config fake_label_weight=0 --config g_lr=0 "${common[@]}"
gan-explorer train infogan --init-from "$out/infogan_d_warmup" --out "$out/infogan_finetune" --steps "$info_steps" \
  --metrics-every 250 --config code_weight=1.0 --config fake_label_weight=0 "${common[@]}" &
gan-explorer train stackedgan --out "$out/stackedgan_shift" --steps "$stacked_steps" --metrics-every 500 \
  --config shift_training=true "${common[@]}" &
wait
