"""Training speed against what the machine can do, in one run: its matmul rate, each family's arithmetic
per step, ms per step at batch 64, 8 and 1 through the public CLI, the fixed cost per step, the
efficiency and the ratio to the book's own script: timed in the same run with --book (a checkout of the
book's repository, benchmarks/book_speed.py), else its figures from the days they were measured.

    python benchmarks/train_speed.py [--steps 200] [--small-steps 400] [--families infogan,...] [--book PATH]

ms per step: a 20-step `gan-explorer train` run (with any preparation, such as StackedGAN's encoder),
then two copies of it resumed in fresh processes, by 20 steps and by 20 + S steps; (difference) / S:
start-up, loading, tracing and the first steps cancel out. The fixed cost is the
intercept of ms per step against batch size through batch 1 and batch 8; beside it, the optimizer
updates alone (timed in this process) and their memory floor (the bytes they must move / the measured
bandwidth), work every step does whatever its batch. Arithmetic is counted from the traced training
step (trainers/arithmetic.py) per precision; its floor is each precision's share at that precision's
matmul rate, and efficiency = floor / ms per step at batch 64.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

ROOT = Path(__file__).resolve().parents[1]
BASE_STEPS = 20
# The book's own scripts (Keras 2, float32) at batch 64, ms per step, measured on these machines on
# 2026-12-01 and 2026-11-23 (the table); the book is not part of this project, so not re-run.
BOOK_MS = {
    ("infogan", True): 252.0,  # AMD EPYC with AVX-512-BF16
    ("stackedgan", True): 356.0,
    ("infogan", False): 1254.0,  # AMD EPYC with AVX2 only
}
# The float32 matmul rate measured in the same sitting as the book's figures above (AVX-512-BF16 only; the
# AVX2 day has none). These shared machines run up to 2x slower in some hours, so the book's ms is also
# shown scaled to this run's float32 rate: an estimate (its step is float32 matmul-bound, 62% of that
# rate), not a measurement.
BOOK_FLOAT32_GFLOPS = {True: 457.0}
CONFIGS = {  # name in the table -> (family, --config values)
    "infogan": ("infogan", []),
    "infogan simultaneous": ("infogan", ["update=simultaneous"]),
    "stackedgan": ("stackedgan", []),
}


def matmul_gflops(dtype_name: str, n: int = 4096, reps: int = 6) -> float:
    import tensorflow as tf

    dtype = getattr(tf, dtype_name)
    a = tf.random.normal((n, n), dtype=tf.float32)
    a = tf.cast(a, dtype)
    matmul = tf.function(lambda x: tf.reduce_sum(tf.cast(tf.matmul(x, x)[:1, :1], tf.float32)))
    matmul(a).numpy()
    best = float("inf")
    for _ in range(reps):
        start = time.perf_counter()
        matmul(a).numpy()
        best = min(best, time.perf_counter() - start)
    return 2 * n**3 / best / 1e9


def built_model(family: str, config: list[str], precision: str):
    from trainers.families import family_entry
    from trainers.run import build_model
    from trainers.settings import parse_overrides

    overrides = parse_overrides(family_entry(family).config_class, config)
    return build_model(family, {**overrides, "precision": precision})


def step_gflop(model, batch: int) -> dict[str, float]:
    """GFLOP of one training step per precision its ops run in (a frozen float32 encoder stays float32)."""
    from trainers.arithmetic import step_gflop_by_precision
    from trainers.data import load_dataset

    return step_gflop_by_precision(model, model.batches(load_dataset("bundled"), batch, 0).next())


def floor_ms(gflop: dict[str, float], rates: dict[str, float]) -> float:
    """The step's arithmetic at the machine's matmul rate for each precision: the time it cannot beat."""
    return sum(count / rates.get(dtype, rates["float32"]) for dtype, count in gflop.items()) * 1000


def memory_gb_per_s(megabytes: int = 256, reps: int = 5) -> float:
    """Bytes read and written per second by a large elementwise product (the weight update's kind of work)."""
    source = np.random.default_rng(0).random(megabytes * 2**18, dtype=np.float32)
    target = np.empty_like(source)
    best = float("inf")
    for _ in range(reps):
        start = time.perf_counter()
        np.multiply(source, 1.0001, out=target)
        best = min(best, time.perf_counter() - start)
    return 2 * source.nbytes / best / 1e9


def update_ms(model, reps: int = 50) -> float:
    """ms of one step's optimizer updates alone (every network's weights, gradients held fixed): work no
    batch size shrinks, so the fixed cost per step cannot go below it."""
    import tensorflow as tf

    pairs = [
        (opt, [tf.fill(v.shape, tf.constant(1e-3, v.dtype)) for v in model.networks[name].trainable_variables], name)
        for name, opt in model.optimizers.items()
    ]

    @tf.function
    def apply_all():
        for opt, grads, name in pairs:
            opt.apply_gradients(zip(grads, model.networks[name].trainable_variables))

    for _ in range(3):
        apply_all()
    best = float("inf")
    for _ in range(3):
        start = time.perf_counter()
        for _ in range(reps):
            apply_all()
        best = min(best, (time.perf_counter() - start) / reps)
    return best * 1000


def update_floor_ms(model, gb_per_s: float) -> float:
    """The least memory traffic of an RMSprop or Adam update: read each weight, its slot and its gradient,
    write the weight and the slot (float32), at the measured bandwidth."""
    weights = sum(int(np.prod(v.shape)) for name in model.optimizers for v in model.networks[name].trainable_variables)
    return weights * 5 * 4 / (gb_per_s * 1e9) * 1000


def train_cli(run: Path, family, config, batch, steps, extra, env, resume=False) -> float:
    """Seconds of one `gan-explorer train` process."""
    args = [sys.executable, "-m", "explorer", "train", family, "--out", str(run), "--steps", str(steps)]
    args += ["--grid-every", "1000000", "--checkpoint-every", "1000000", "--metrics-every", "1000000"]
    if resume:
        args.append("--resume")
    else:
        args += ["--batch-size", str(batch), "--data", "bundled"] + [f"--config={value}" for value in config]
    start = time.perf_counter()
    subprocess.run(args + list(extra), cwd=ROOT, env=env, check=True, capture_output=True)
    return time.perf_counter() - start


def ms_per_step(family, config, batch, steps, extra=(), env=None) -> float:
    """A run of BASE_STEPS steps (with any preparation, e.g. StackedGAN's encoder), then two copies of
    it resumed, by BASE_STEPS and by BASE_STEPS + steps: the difference is `steps` steps of training."""
    env = env or os.environ.copy()
    with tempfile.TemporaryDirectory() as tmp:
        base, short, long = (Path(tmp) / name for name in ("base", "short", "long"))
        train_cli(base, family, config, batch, BASE_STEPS, extra, env)
        shutil.copytree(base, short)
        shutil.copytree(base, long)
        t_short = train_cli(short, family, config, batch, 2 * BASE_STEPS, extra, env, resume=True)
        t_long = train_cli(long, family, config, batch, 2 * BASE_STEPS + steps, extra, env, resume=True)
    return (t_long - t_short) / steps * 1000


def gpu_steps_per_second(family: str, steps: int) -> float | None:
    env = {**os.environ, "KERAS_BACKEND": "jax", "XLA_PYTHON_CLIENT_PREALLOCATE": "false"}
    probe = subprocess.run(
        [sys.executable, "-c", "import jax; print(jax.default_backend())"], env=env, capture_output=True, text=True
    )
    if probe.returncode != 0 or probe.stdout.strip() != "gpu":
        return None
    return 1000 / ms_per_step(family, [], 64, steps, env=env)


def main():
    from trainers.families.base import cpu_has_fast_bfloat16
    from trainers.quiet import load_tensorflow_quietly

    load_tensorflow_quietly()  # no absl/oneDNN/CUDA lines between the figures

    parser = argparse.ArgumentParser()
    parser.add_argument("--steps", type=int, default=200, help="timed steps at batch 64")
    parser.add_argument("--small-steps", type=int, default=400, help="timed steps at batch 8 and 1")
    parser.add_argument("--families", default=",".join(CONFIGS))
    parser.add_argument(
        "--book",
        type=Path,
        help="a checkout of the book's repository: its InfoGAN script is timed in this run too "
        "(benchmarks/book_speed.py; needs tf-keras and matplotlib)",
    )
    args = parser.parse_args()
    fast_bf16 = cpu_has_fast_bfloat16()
    precision = "bfloat16" if fast_bf16 else "float32"
    cpu = next((line.split(":", 1)[1].strip() for line in open("/proc/cpuinfo") if "model name" in line), "?")
    rates = {name: matmul_gflops(name) for name in ("float32", "bfloat16")}
    print(f"CPU: {cpu}, {os.cpu_count()} cores, AVX-512-BF16/AMX: {fast_bf16}; training precision {precision}")
    print(f"TensorFlow 4096x4096 matmul: float32 {rates['float32']:.0f} GFLOP/s, bfloat16 {rates['bfloat16']:.0f}")
    bandwidth = memory_gb_per_s()
    print(f"Memory: {bandwidth:.1f} GB/s read + written by a 256 MB elementwise product")
    measured_book = {}
    if args.book:
        from book_speed import SCRIPTS, time_steps

        measured_book["infogan"] = time_steps(args.book.resolve(), SCRIPTS["infogan"], BASE_STEPS, args.steps)
        print(f"The book's InfoGAN script, timed here: {measured_book['infogan']:.1f} ms per step at batch 64")
    header = (
        f"{'model':<22}{'GFLOP/step':>11}{'of it f32':>10}{'floor ms':>9}{'ms b64':>9}{'ms b8':>8}{'ms b1':>8}"
        f"{'b1, k=1':>9}{'fixed ms':>10}{'update ms':>10}{'its floor':>10}{'efficiency':>12}"
        f"{'book ms':>9}{'vs book':>9}{'book, this hour':>17}{'book timed here':>17}"
    )
    print(header)
    for name in args.families.split(","):
        family, config = CONFIGS[name]
        model = built_model(family, config, precision)
        gflop = step_gflop(model, 64)
        flop, floor = sum(gflop.values()), floor_ms(gflop, rates)
        update, update_floor = update_ms(model), update_floor_ms(model, bandwidth)
        del model
        b64 = ms_per_step(family, config, 64, args.steps)
        b8 = ms_per_step(family, config, 8, args.small_steps)
        b1 = ms_per_step(family, config, 1, args.small_steps)
        b1_single = ms_per_step(family, config, 1, args.small_steps, ["--steps-per-call", "1"])
        fixed = b1 - (b8 - b1) / 7
        efficiency = floor / b64
        book = BOOK_MS.get((family, fast_bf16))
        versus = f"{book / b64:>8.2f}x" if book else f"{'-':>9}"
        book_rate = BOOK_FLOAT32_GFLOPS.get(fast_bf16)
        scaled = book * book_rate / rates["float32"] if book and book_rate else None
        this_hour = f"{scaled:>8.0f} {scaled / b64:>6.2f}x" if scaled else f"{'-':>17}"
        timed = measured_book.get(family)
        timed_here = f"{timed:>8.0f} {timed / b64:>6.2f}x" if timed else f"{'-':>17}"
        print(
            f"{name:<22}{flop:>11.1f}{gflop.get('float32', 0):>10.1f}{floor:>9.1f}{b64:>9.1f}{b8:>8.1f}{b1:>8.1f}"
            f"{b1_single:>9.1f}{fixed:>10.1f}{update:>10.1f}{update_floor:>10.1f}{efficiency:>11.0%}"
            f"{book or float('nan'):>9.0f}{versus}{this_hour}{timed_here}"
        )
    for family in ("infogan", "stackedgan"):
        rate = gpu_steps_per_second(family, 2000)
        print(f"GPU {family}: " + (f"{rate:.0f} steps/s at batch 64" if rate else "no GPU here: not measured"))


if __name__ == "__main__":
    main()
