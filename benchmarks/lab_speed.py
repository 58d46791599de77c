"""A GAN lab's speed, side by side in one run: training steps/s headless and inside the real window
(offscreen) while it redraws, the window's redraw rate and longest stall, and the wall time of its
comparison table.

    QT_QPA_PLATFORM=offscreen python benchmarks/lab_speed.py [--family gauss1d|gauss2d] [--seconds 15]

Targets, both labs: >= 200 training steps/s in the GUI while it redraws at >= 20 frames/s, no event-loop
stall > 50 ms (the 2-D lab's); the table in <= 60 s (1-D: minibatch x pretraining x 10 seeds) or
<= 300 s (2-D: 7 cures x 2 benchmarks x 10 seeds) on a 2-core machine.
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))

LABS = {  # family -> (settings for the runs, what the table holds, its target in seconds)
    "gauss1d": ({"pretrain": False}, "40-run comparison table", 60),
    "gauss2d": ({}, "180-run comparison table", 300),
}
FAMILY = "gauss1d"


def cpu_name() -> str:
    for line in Path("/proc/cpuinfo").read_text().splitlines():
        if line.startswith("model name"):
            return line.split(":", 1)[1].strip()
    return platform.processor()


def headless_rates(seconds: float) -> tuple[float, float]:
    """(bare train_step calls/s, the training loop's steps/s with snapshots and metrics on the defaults)."""
    from trainers.families import family_entry
    from trainers.loop import LoopSettings, TrainControl, Trainer
    from trainers.run import RunDir, RunInfo, build_model
    from trainers.updates import StepFigures

    entry = family_entry(FAMILY)
    model = build_model(FAMILY, LABS[FAMILY][0])
    data = model.load_data("auto", model.config)
    batches = model.batches(data, entry.defaults.batch_size, 0)
    end, bare = time.perf_counter() + seconds / 2, 0
    while time.perf_counter() < end:
        model.train_step(*batches.next())
        bare += 1
    model = build_model(FAMILY, LABS[FAMILY][0])
    run = RunDir(Path(tempfile.mkdtemp()) / "run")
    run.create(RunInfo(FAMILY, model.config_dict(), batch_size=entry.defaults.batch_size))
    settings = LoopSettings.from_defaults(entry.defaults, steps=10**8, checkpoint_every=10**8)
    control, rates, started = TrainControl(), [], time.perf_counter()

    def on_update(message):
        if isinstance(message, StepFigures):
            rates.append(message.steps_per_s)
            if time.perf_counter() - started > seconds / 2:
                control.stop()

    Trainer(model, data, run, settings, metrics_fn=model.live_metrics(data, print)).run_loop(on_update, control)
    return bare / (seconds / 2), statistics.median([r for r in rates if r > 0])


def in_the_window(seconds: float) -> dict:
    from gui_latency import StallProbe, rest
    from PySide6.QtWidgets import QApplication

    from explorer.main_window import MainWindow
    from trainers.updates import StepFigures

    app = QApplication.instance() or QApplication([])
    window = MainWindow(runs_home=Path(tempfile.mkdtemp()))
    window.resize(1400, 860)
    window.show()
    while window.explorer.model is None:  # the window opens on a shipped model: let that settle first
        rest(0.05)
    rest(1.0)
    t = window.training
    t.select_family(FAMILY)
    t.steps.setValue(10**8)
    t.settings.set_values(LABS[FAMILY][0])
    rates, frames = [], []
    window.training_batch.connect(
        lambda batch: rates.extend(m.steps_per_s for m in batch if isinstance(m, StepFigures))
    )
    window.start_training()
    while not t.previews:  # the lab's view is made with its first frame
        rest(0.05)
    view = t.lab
    real_show = view.show_frame
    view.show_frame = lambda frame: (frames.append(time.perf_counter()), real_show(frame))[1]
    while not rates or not frames:
        rest(0.05)
    rest(2.0)  # past the first second's rate window
    probe = StallProbe(app)
    probe.start()
    frames.clear()
    measured_from, started = len(rates), time.perf_counter()
    rest(seconds)
    elapsed = time.perf_counter() - started
    probe.stop()
    window.stop_training()
    while window.worker is not None:
        rest(0.05)
    window.close()
    steady = [r for r in rates[measured_from:] if r > 0]
    gaps = sorted(probe.gaps)
    return {
        "steps_per_s": statistics.median(steady),
        "frames_per_s": len(frames) / elapsed,
        "longest_stall_ms": gaps[-1],
        "p99_stall_ms": gaps[int(0.99 * (len(gaps) - 1))],
    }


def comparison_seconds() -> float:
    started = time.perf_counter()
    subprocess.run(
        [sys.executable, "-m", "trainers.cli", "compare", FAMILY, "--json"],
        check=True,
        capture_output=True,
        timeout=600,
    )
    return time.perf_counter() - started


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=float, default=15)
    parser.add_argument("--family", choices=sorted(LABS), default="gauss1d")
    parser.add_argument("--no-table", action="store_true", help="leave the comparison table out")
    args = parser.parse_args()
    global FAMILY
    FAMILY = args.family
    what, target = LABS[FAMILY][1:]
    bare, loop = headless_rates(args.seconds)
    gui = in_the_window(args.seconds)
    table = float("nan") if args.no_table else comparison_seconds()
    print(f"{FAMILY}; CPU: {cpu_name()}, {os.cpu_count()} cores; {time.strftime('%Y-%m-%d')}")
    print(f"{'measure':<70}{'value':>10}{'target':>10}")
    rows = [
        ("train_step calls/s, bare (the family's default batch and settings)", bare, None),
        ("training loop steps/s headless (frames and metrics on schedule)", loop, None),
        ("training steps/s in the window while it redraws", gui["steps_per_s"], ">= 200"),
        ("  GUI / headless", gui["steps_per_s"] / loop, None),
        ("lab redraws per second in the window", gui["frames_per_s"], ">= 20"),
        ("event-loop stall while training, p99 (ms)", gui["p99_stall_ms"], None),
        ("event-loop stall while training, longest (ms)", gui["longest_stall_ms"], "<= 50"),
        (f"{what}, wall seconds (2 worker processes)", table, f"<= {target}"),
    ]
    for name, value, target in rows:
        print(f"{name:<70}{value:>10.1f}{target or '':>10}")


if __name__ == "__main__":
    main()
