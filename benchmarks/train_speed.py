"""ms per training step for InfoGAN and StackedGAN at batch 64, float32 vs bfloat16, side by side.

    python benchmarks/train_speed.py [--steps 20] [--batch-size 64]

bfloat16 only pays off on CPUs with AVX-512-BF16/AMX (or on a GPU); elsewhere TensorFlow emulates
it and it is much slower, which this script shows rather than hides.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

TARGETS_MS = {"infogan": 110.0, "stackedgan": 200.0}  # issue targets for these 2-core machines


def time_steps(family: str, precision: str, steps: int, batch: int) -> float:
    from trainers.data import BatchSampler, load_dataset
    from trainers.run import build_model

    model = build_model(family, {"precision": precision})
    dataset = load_dataset("bundled")
    sampler = BatchSampler(dataset, batch)
    for _ in range(3):  # trace and warm up
        model.train_step(*sampler.next())
    times = []
    for _ in range(steps):
        images, labels = sampler.next()
        start = time.perf_counter()
        model.train_step(images, labels)
        times.append((time.perf_counter() - start) * 1000)
    return statistics.median(times)


def measure_in_fresh_process(family, precision, steps, batch, onednn: str) -> float:
    """TF reads TF_ENABLE_ONEDNN_OPTS at import, so each setting gets its own interpreter."""
    env = {**os.environ, "TF_ENABLE_ONEDNN_OPTS": onednn}
    code = (
        f"import trainers, sys; sys.path.insert(0, 'benchmarks'); from train_speed import time_steps; "
        f"print(time_steps({family!r}, {precision!r}, {steps}, {batch}))"
    )
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True)
    return float(out.stdout.split()[-1])


def main():
    from trainers.families.base import cpu_has_fast_bfloat16

    parser = argparse.ArgumentParser()
    parser.add_argument("--steps", type=int, default=20)
    parser.add_argument("--batch-size", type=int, default=64)
    parser.add_argument("--bf16-steps", type=int, default=3, help="fewer where bf16 is emulated")
    args = parser.parse_args()
    fast_bf16 = cpu_has_fast_bfloat16()
    print(f"CPU has fast bfloat16 (AVX-512-BF16/AMX): {fast_bf16}; cores: {os.cpu_count()}")
    print(
        f"{'model':<12}{'f32 ms':>9}{'f32 oneDNN ms':>15}{'bf16 oneDNN ms':>16}{'oneDNN gain':>13}"
        f"{'target ms':>11}{'best/target':>13}"
    )
    for family in ("infogan", "stackedgan"):
        plain = measure_in_fresh_process(family, "float32", args.steps, args.batch_size, "0")
        f32 = measure_in_fresh_process(family, "float32", args.steps, args.batch_size, "1")
        bf16 = measure_in_fresh_process(
            family, "bfloat16", args.steps if fast_bf16 else args.bf16_steps, args.batch_size, "1"
        )
        best = min(plain, f32, bf16)
        print(
            f"{family:<12}{plain:>9.1f}{f32:>15.1f}{bf16:>16.1f}{plain / f32:>12.2f}x"
            f"{TARGETS_MS[family]:>11.0f}{best / TARGETS_MS[family]:>13.2f}"
        )


if __name__ == "__main__":
    main()
