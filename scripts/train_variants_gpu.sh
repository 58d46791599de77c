#!/usr/bin/env bash
# Train several InfoGAN variants side by side on a GPU machine (Keras 3 on JAX) and archive each.
# Usage: scripts/train_variants_gpu.sh OUT_DIR SECONDS "name|train args" ["name|train args" ...]
set -u
out=${1:?OUT_DIR}; budget=${2:?SECONDS}; shift 2
export KERAS_BACKEND=jax PYTHONPATH=$PWD${PYTHONPATH:+:$PYTHONPATH} PYTHONUNBUFFERED=1 XLA_PYTHON_CLIENT_PREALLOCATE=false
mkdir -p "$out" runs export
for spec in "$@"; do
  name=${spec%%|*}; args=${spec#*|}
  (timeout -s INT "$budget" python3 -m trainers.cli train $args --out "runs/$name" --data bundled \
     --precision float32 --grid-every 5000 --checkpoint-every 5000 --metrics-every 0 > "runs/$name.log" 2>&1
   python3 -m trainers.cli export "runs/$name" "export/$name" && cp runs/$name/run.json "export/$name/"
   tar czf "$out/$name.tgz" -C export "$name"; echo "$name done") &
done
wait
