"""Training steps per second of every Keras family at batch 64, on whatever accelerator Keras's backend
finds (made for a GPU machine with JAX and no TensorFlow: nothing here imports TensorFlow on JAX).

    KERAS_BACKEND=jax python benchmarks/gpu_speed.py [--seconds 40] [--families infogan,stackedgan,...]

Per family: build the model (float32 weights, the family's `precision=auto`), one compiled call of K steps
to trace and warm up, then K-step calls (the product's own steps per call) for --seconds; steps/s is
counted over those calls only, the loss of the last step synchronising the device. The whole run stays
under 8 minutes with the defaults (six configurations x 40 s + tracing). Goals on a GPU: InfoGAN >= 1,000
steps/s, StackedGAN >= 700.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
os.environ.setdefault("KERAS_BACKEND", "jax")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

GOALS = {"infogan": 1000.0, "stackedgan": 700.0}
CONFIGS = {  # name in the table -> (family, settings)
    "infogan": ("infogan", {}),
    "infogan simultaneous": ("infogan", {"update": "simultaneous"}),
    "stackedgan": ("stackedgan", {"encoder_epochs": 1}),
    "dcgan": ("dcgan", {}),
    "cgan": ("cgan", {}),
    "acgan": ("acgan", {}),
}


def steps_per_second(family: str, settings: dict, seconds: float, batch: int, k: int) -> tuple[float, float]:
    """(steps/s, seconds spent tracing and warming up) for one configuration."""
    from trainers.run import build_model

    started = time.perf_counter()
    model = build_model(family, settings)
    train_set, _ = type(model).load_data("bundled", model.config).split()
    if not model.prepared:
        model.prepare(train_set, lambda *_: False)  # StackedGAN's encoder: not timed
    batches = model.batches(train_set, batch, 0)
    model.train_steps([batches.next() for _ in range(k)])  # trace and warm up
    warm = time.perf_counter() - started
    steps, begun = 0, time.perf_counter()
    while time.perf_counter() - begun < seconds:
        logs = model.train_steps([batches.next() for _ in range(k)])
        float(next(iter(logs[-1].values())))  # wait for the device
        steps += k
    return steps / (time.perf_counter() - begun), warm


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=40.0, help="timed seconds per configuration")
    parser.add_argument("--families", default=",".join(CONFIGS), help="comma-separated names of the table")
    parser.add_argument("--batch-size", type=int, default=64)
    parser.add_argument("--steps-per-call", type=int, default=64)
    args = parser.parse_args()
    import keras

    from trainers.quiet import load_tensorflow_quietly

    load_tensorflow_quietly()  # the backend's device probe, quietly
    devices = _devices(keras.backend.backend())
    print(f"Keras {keras.__version__} on {keras.backend.backend()}: {devices}; batch {args.batch_size}")
    print(f"{'configuration':<24}{'steps/s':>10}{'goal':>8}{'ratio':>7}{'warm-up s':>11}")
    for name in args.families.split(","):
        family, settings = CONFIGS[name]
        rate, warm = steps_per_second(family, settings, args.seconds, args.batch_size, args.steps_per_call)
        goal = GOALS.get(name)
        shown = f"{goal:>8.0f}{rate / goal:>7.2f}" if goal else f"{'-':>8}{'-':>7}"
        print(f"{name:<24}{rate:>10.1f}{shown}{warm:>11.1f}", flush=True)
    loaded = sorted(m for m in sys.modules if m.split(".")[0] == "tensorflow")
    print(f"TensorFlow imported: {'yes' if loaded else 'no'}")
    return 0


def _devices(backend: str) -> str:
    if backend == "jax":
        import jax

        return ", ".join(str(d) for d in jax.devices())
    return backend


if __name__ == "__main__":
    sys.exit(main())
