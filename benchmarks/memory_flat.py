"""Resident memory during a long training run: it must stay flat after warm-up.

    python benchmarks/memory_flat.py [--steps 5000] [--batch-size 64] [--every 500]

Runs the real loop (grids every 100 steps, checkpoints every 500, loss history kept) and prints
RSS at intervals and the growth from the first report to the last.
"""

from __future__ import annotations

import argparse
import os
import resource
import tempfile
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")


def rss_mb() -> float:
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmRSS"):
                return int(line.split()[1]) / 1024
    return float("nan")


def main():
    from trainers.loop import LoopSettings, Trainer
    from trainers.run import RunDir, RunInfo, build_model
    from trainers.updates import StepFigures

    parser = argparse.ArgumentParser()
    parser.add_argument("--family", default="infogan")
    parser.add_argument("--steps", type=int, default=5000)
    parser.add_argument("--batch-size", type=int, default=64)
    parser.add_argument("--every", type=int, default=500)
    parser.add_argument("--precision", default="auto", help="auto: bfloat16 where the CPU has AVX-512-BF16/AMX")
    parser.add_argument("--steps-per-call", type=int, default=0, help="0: chosen by the loop")
    args = parser.parse_args()
    model = build_model(args.family, {"precision": args.precision})
    train, _ = model.load_data("bundled", model.config).split()
    run = RunDir(Path(tempfile.mkdtemp()) / "run")
    run.create(RunInfo(args.family, model.config_dict(), batch_size=args.batch_size))
    settings = LoopSettings(
        steps=args.steps,
        batch_size=args.batch_size,
        grid_every=100,
        checkpoint_every=500,
        steps_per_call=args.steps_per_call,
    )
    readings = []

    def report(update):
        if isinstance(update, StepFigures) and update.step % args.every == 0:
            readings.append((update.step, rss_mb()))
            print(f"step {update.step:>6}: RSS {readings[-1][1]:8.1f} MB", flush=True)

    Trainer(model, train, run, settings).run_loop(report)
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    first, last = readings[0][1], readings[-1][1]
    print(
        f"RSS at step {readings[0][0]}: {first:.1f} MB, at step {readings[-1][0]}: {last:.1f} MB, "
        f"growth {last - first:+.1f} MB ({(last / first - 1) * 100:+.1f}%), peak {peak:.1f} MB"
    )


if __name__ == "__main__":
    main()
