"""GUI responsiveness, driving the real window (offscreen unless a display is set).

    QT_QPA_PLATFORM=offscreen python benchmarks/gui_latency.py [--moves 60] [--train-seconds 40] [--family-seconds 15]

Prints, side by side with the targets: the window's first paint and the shipped model's first image after
a launch; slider-to-pixels latency (the main image's p95, and how long the strips follow it) with training
idle and running; the longest event-loop stall while opening a model, while InfoGAN trains, and while each
family trains from the Train tab with its defaults; training steps/s inside the GUI against headless.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

LAUNCH_SCRIPT = """
import time, sys
t0 = float(sys.argv[1])
from PySide6.QtCore import QEvent, QObject, QTimer
from PySide6.QtWidgets import QApplication
app = QApplication([])
from explorer.main_window import MainWindow
marks = {}

class FirstPaint(QObject):
    def eventFilter(self, obj, event):
        if event.type() == QEvent.Type.Paint:
            marks.setdefault("painted", time.time() - t0)
        return False

w = MainWindow()
painted = FirstPaint()
w.installEventFilter(painted)
w.show()

def drawn():
    marks.setdefault("drawn", time.time() - t0)
    print(marks["painted"], marks["drawn"], flush=True)
    app.quit()

w.explorer.rendered.connect(drawn)
QTimer.singleShot(60000, app.quit)
app.exec()
"""


def launch_seconds() -> tuple[float, float]:
    """(first paint of the window, first image of the shipped model drawn), seconds after the launch
    (the interpreter's start included), in a fresh process as a user's launch."""
    start = time.time()
    out = subprocess.run(
        [sys.executable, "-c", LAUNCH_SCRIPT, str(start)], capture_output=True, text=True, timeout=120
    ).stdout.split()
    return float(out[-2]), float(out[-1])


def p95(values):
    return sorted(values)[int(0.95 * (len(values) - 1))]


def jump_moves(ex, app, moves: int, names=("code1", "code2", "z0", "z1", "digit")):
    """Worst case: each move jumps a slider to a far, unseen value (cycling through the sliders)."""
    names = [n for n in names if n in ex.sliders]
    for i in range(moves):
        slider = ex.sliders[names[i % len(names)]]
        low, high = slider.minimum(), slider.maximum()
        value = low + (high - low) * ((i * 7919) % 101) / 100
        if names[i % len(names)] == "digit":
            value = int(value)
        if abs(value - slider.value()) < 1e-6:
            value = low if slider.value() != low else high  # an unchanged value would not redraw
        yield lambda s=slider, v=value: s.setValue(v)


def drag_moves(ex, app, moves: int):
    """A mouse drag: a continuous slider moved a step at a time to values not seen before, no pause."""
    names = [n for n in ("code1", "code2", "z0", "z1") if n in ex.sliders]
    for i in range(moves):
        slider = ex.sliders[names[(i // 20) % len(names)]]
        if i % 20 == 0:  # drag towards the side with room for the whole drag
            step = slider.singleStep() * (1 if slider.value() + 20 * slider.singleStep() <= slider.maximum() else -1)
        yield lambda s=slider, d=step: s.setValue(s.value() + d)


def digit_steps(ex, app, moves: int):
    """Ctrl+Right through the digits, with a 300 ms look at each (time the app may use to read ahead).
    Each takes a look's time, so a third as many."""
    for _ in range(max(10, moves // 3)):
        rest(0.3)
        yield lambda: ex.step_digit(1)


def rest(seconds: float):
    """Let the app idle in its event loop (sleeping, as when the user looks at the screen)."""
    from PySide6.QtCore import QEventLoop, QTimer

    loop = QEventLoop()
    QTimer.singleShot(int(seconds * 1000), loop.quit)
    loop.exec()


def wait_for(signal, arrived: list, timeout_s: float = 10.0):
    """Sleep in the event loop, as the app does, until `signal` has fired (and appended to `arrived`)."""
    from PySide6.QtCore import QEventLoop, QTimer

    if arrived:
        return
    loop = QEventLoop()
    signal.connect(loop.quit)
    QTimer.singleShot(int(timeout_s * 1000), loop.quit)
    loop.exec()
    signal.disconnect(loop.quit)


def slider_latencies(app, window, moves) -> tuple[list[float], list[float], list[float]]:
    """(main image, main image + the first strips, main image + every strip in view) latencies in ms, from
    the change to painted pixels. `moves` is an iterable of callables, each changing one control."""
    ex = window.explorer
    done, first, shown = [], [], []
    ex.strips_rendered.connect(lambda: done.append(time.perf_counter()))
    ex.strips_arrived.connect(lambda: first.append(time.perf_counter()))
    ex.rendered.connect(lambda: shown.append(time.perf_counter()))
    main, early, full = [], [], []
    for move in moves:
        done.clear()
        first.clear()
        shown.clear()
        start = time.perf_counter()
        move()
        wait_for(ex.rendered, shown)  # the GUI thread sleeps in its event loop, as in the app
        ex.main_pane.repaint()  # pixels on screen, not just arrays
        main.append((time.perf_counter() - start) * 1000)
        wait_for(ex.strips_arrived, first)
        early.append((first[0] - start) * 1000 if first else main[-1])
        wait_for(ex.strips_rendered, done)
        for pane in ex.strip_panes.values():
            pane.repaint()
        full.append((time.perf_counter() - start) * 1000)
    for signal in (ex.strips_rendered, ex.strips_arrived, ex.rendered):
        signal.disconnect()
    return main, early, full


class StallProbe:
    """A 5 ms timer; the largest gap between its ticks is the longest event-loop stall."""

    def __init__(self, app):
        from PySide6.QtCore import QTimer

        self.last, self.gaps = None, []
        self.timer = QTimer(interval=5)
        self.timer.timeout.connect(self._tick)

    def _tick(self):
        now = time.perf_counter()
        if self.last is not None:
            self.gaps.append((now - self.last) * 1000 - 5)
        self.last = now

    def start(self):
        self.timer.start()

    def stop(self):
        self.timer.stop()


def longest_stall_opening(app, window) -> float:
    """Open StackedGAN then InfoGAN again (each read off the GUI thread) under a stall probe."""
    from trainers.paths import SHIPPED_MODELS

    probe = StallProbe(app)
    probe.start()
    for name in ("stackedgan", "infogan"):
        opened = []
        window.model_loaded.connect(opened.append)
        window.open_path(SHIPPED_MODELS / name)
        wait_for(window.model_loaded, opened, timeout_s=30)
        window.model_loaded.disconnect(opened.append)
        rest(0.3)  # the first redraw of the new model is part of opening it
    probe.stop()
    return max(probe.gaps)


def longest_stall_while_each_family_trains(app, window, seconds: float) -> dict[str, float]:
    """Each family trained from the Train tab with its default settings (data, batch, samples and live
    metrics as a new user gets them), the training view on screen: the longest event-loop stall (ms) over
    `seconds` from its first update."""
    t = window.training
    stalls = {}
    for index in range(t.family.count()):
        t.family.setCurrentIndex(index)
        t.steps.setValue(10**6)
        name = t.family_name
        updates = []
        record = updates.extend
        window.training_batch.connect(record)
        window.start_training(run_dir=Path(tempfile.mkdtemp()) / name)
        while not any(hasattr(m, "steps_per_s") for m in updates):
            rest(0.05)
        probe = StallProbe(app)
        probe.start()
        rest(seconds)
        probe.stop()
        window.training_batch.disconnect(record)
        window.stop_training()
        while window.worker is not None:
            rest(0.05)
        stalls[name] = max(probe.gaps)
    return stalls


def headless_steps_per_s(seconds: float, batch: int) -> float:
    from trainers.data import load_dataset
    from trainers.loop import LoopSettings, TrainControl, Trainer
    from trainers.run import RunDir, RunInfo, build_model

    model = build_model("infogan", {})
    run = RunDir(Path(tempfile.mkdtemp()) / "run")
    run.create(RunInfo("infogan", model.config_dict(), batch_size=batch))
    trainer = Trainer(
        model,
        load_dataset("bundled").split()[0],
        run,
        LoopSettings(steps=10**6, batch_size=batch, grid_every=100, checkpoint_every=10**6),
    )
    control, rates = TrainControl(), []
    thread = threading.Thread(
        target=trainer.run_loop, args=(lambda u: rates.append(getattr(u, "steps_per_s", 0.0)), control)
    )
    thread.start()
    time.sleep(seconds)
    control.stop()
    thread.join()
    return statistics.median([r for r in rates[len(rates) // 3 :] if r > 0])


SCENARIOS = (
    ("jump to a far value", jump_moves),
    ("drag one step at a time", drag_moves),
    ("next digit after a 300 ms look", digit_steps),
)


def direction_latencies(app, window, moves: int) -> dict[str, tuple[list[float], list[float]]]:
    """The shipped InfoGAN with its shipped directions shown (D): jumps of the eight direction sliders."""
    ex = window.explorer
    shown = []
    note = lambda: shown.append(True)
    ex.directions_found.connect(note)
    ex.find_directions()
    wait_for(ex.directions_found, shown)
    ex.directions_found.disconnect(note)
    rest(0.5)
    ex._renderer.cache.clear()
    names = [n for n in ex.sliders if n.startswith("dir")]
    return {f"{len(names)} direction sliders, jump": slider_latencies(app, window, jump_moves(ex, app, moves, names))}


def measure_scenarios(app, window, moves: int) -> dict[str, tuple[list[float], list[float]]]:
    ex = window.explorer
    out = {}
    for name, scenario in SCENARIOS:
        ex._renderer.cache.clear()  # each scenario starts with nothing rendered ahead
        out[name] = slider_latencies(app, window, scenario(ex, app, moves))
    return out


def latency_rows(results: dict, state: str) -> list[tuple]:
    """The main image's p95 (goal 16 ms) and how long the strips follow it (goal: at most 50 ms later): the
    first strips (drawn a few at a time, in order) and every strip in view."""
    rows = []
    for scenario, (main, early, full) in results.items():
        first_lag = [e - m for m, e in zip(main, early)]
        lag = [f - m for m, f in zip(main, full)]
        rows.append((f"{state}, {scenario}: main image p95", p95(main), 16.0))
        rows.append((f"{state}, {scenario}: first strips after the main image, p95", p95(first_lag), 50.0))
        rows.append((f"{state}, {scenario}: all strips in view after the main image, p95", p95(lag), 50.0))
    return rows


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--moves", type=int, default=60)
    parser.add_argument("--train-seconds", type=float, default=40)
    parser.add_argument("--batch-size", type=int, default=64)
    parser.add_argument("--family-seconds", type=float, default=15, help="stall probe per family trained")
    args = parser.parse_args()

    painted, drawn = launch_seconds()
    from PySide6.QtWidgets import QApplication

    app = QApplication.instance() or QApplication([])
    from explorer.main_window import MainWindow

    window = MainWindow(runs_home=Path(tempfile.mkdtemp()))
    window.show()
    while window.explorer.model is None:
        rest(0.05)
    slider_latencies(app, window, jump_moves(window.explorer, app, 5))  # warm-up
    idle = measure_scenarios(app, window, args.moves)
    idle.update(direction_latencies(app, window, args.moves))
    open_stall = longest_stall_opening(app, window)

    t = window.training
    t.data.setCurrentIndex(t.data.findData("bundled"))
    t.steps.setValue(10**6)
    t.batch.setValue(args.batch_size)
    t.grid_every.setValue(100)
    t.metrics_every.setValue(0)
    rates = []
    window.start_training()
    window.training_batch.connect(lambda batch: rates.extend(m.steps_per_s for m in batch if hasattr(m, "steps_per_s")))
    while not rates:
        rest(0.05)
    probe = StallProbe(app)  # training view on screen, plots and grids updating, no interaction
    probe.start()
    quiet_from = len(rates)
    rest(args.train_seconds)
    probe.stop()
    quiet_rates = rates[quiet_from:]
    window.tabs.setCurrentWidget(window.explorer)
    busy_probe = StallProbe(app)
    busy_probe.start()
    busy = measure_scenarios(app, window, args.moves)
    busy_probe.stop()
    window.stop_training()
    while window.worker is not None:
        rest(0.05)
    gui_rate = statistics.median([r for r in quiet_rates if r > 0])
    headless_rate = headless_steps_per_s(args.train_seconds, args.batch_size)

    print(f"{'measure':<74}{'value':>9}{'target':>9}{'ratio':>7}")
    family_stalls = longest_stall_while_each_family_trains(app, window, args.family_seconds)
    rows = [("window painted after launch (s)", painted, 1.0), ("shipped model's first image drawn (s)", drawn, None)]
    rows += latency_rows(idle, "idle") + latency_rows(busy, "training")
    rows += [
        ("longest stall, opening a shipped model, idle (ms)", open_stall, 50.0),
        ("longest stall, training, no interaction (ms)", max(probe.gaps), 50.0),
        ("longest stall, training, moving sliders (ms)", max(busy_probe.gaps), 50.0),
    ]
    for name, ms in family_stalls.items():
        rows.append((f"longest stall, {name} training, Train tab defaults (ms)", ms, 50.0))
    for name, value, target in rows:
        goal = f"{target:>9.1f}{value / target:>7.2f}" if target else ""
        print(f"{name:<74}{value:>9.1f}{goal}")
    print(
        f"{'training steps/s in GUI (no interaction) vs headless':<74}{gui_rate:>9.2f}{headless_rate:>9.2f}"
        f"{gui_rate / headless_rate:>7.2f}  (target ratio ≥ 0.90)"
    )
    window.close()


if __name__ == "__main__":
    main()
