#!/usr/bin/env bash
# Train the book-setting models with the project's own CLI on a GPU machine (Keras 3 on JAX): the first
# shipped models, which the model cards compare against (today's come from train_variants_gpu.sh +
# finetune_shipped_cpu.sh for InfoGAN and train_stacked_shift_gpu.sh for StackedGAN).
# Each run is stopped with SIGINT at its time budget, which makes the CLI checkpoint and exit.
# Usage: scripts/train_shipped_gpu.sh OUT_DIR [SECONDS_PER_RUN]
set -u
out=${1:?OUT_DIR}; budget=${2:-420}
export KERAS_BACKEND=jax PYTHONPATH=$PWD${PYTHONPATH:+:$PYTHONPATH} PYTHONUNBUFFERED=1 XLA_PYTHON_CLIENT_PREALLOCATE=false
mkdir -p "$out" runs export
python3 -c "import jax; print(jax.devices())"
cli="python3 -m trainers.cli"
train() { local name=$1; shift; timeout -s INT "$budget" $cli train "$@" --out "runs/$name" --data bundled \
  --precision float32 --grid-every 2000 --checkpoint-every 2000 > "$out/$name.log" 2>&1; echo "$name exit $?"; }
train infogan infogan --steps 40000 &
train infogan_book infogan --steps 40000 --config code_loss=book &
train stackedgan stackedgan --steps 10000 &
wait
for name in infogan infogan_book stackedgan; do  # one archive per model: the device returns few files
  $cli export "runs/$name" "export/$name" && cp runs/$name/run.json runs/$name/*.csv "$out/$name.log" "export/$name/"
  cp "runs/$name/grids/$(ls runs/$name/grids | tail -1)" "export/$name/last_grid.png"
  tar czf "$out/$name.tgz" -C export "$name" && rm "$out/$name.log"
  tail -c 600 "export/$name/$name.log" | tr '\r' '\n' | tail -3
done
