"""GUI responsiveness, driving the real window (offscreen unless a display is set).

    QT_QPA_PLATFORM=offscreen python benchmarks/gui_latency.py [--moves 60] [--train-seconds 40]

Prints, side by side with the targets: window-shown time, slider-to-pixels latency (main image
plus every strip; median and p95) with training idle and running, the longest event-loop stall
while training, and training steps/s inside the GUI against headless.
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

SHOW_SCRIPT = """
import time, sys
t0 = float(sys.argv[1])
from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication
app = QApplication([])
from explorer.main_window import MainWindow
w = MainWindow()
w.show()
QTimer.singleShot(0, lambda: (print(time.time() - t0, flush=True), app.quit()))
app.exec()
"""


def window_shown_seconds() -> float:
    start = time.time()
    out = subprocess.run([sys.executable, "-c", SHOW_SCRIPT, str(start)], capture_output=True, text=True,
                         timeout=120).stdout.split()
    return float(out[-1])


def p95(values):
    return sorted(values)[int(0.95 * (len(values) - 1))]


def slider_latencies(app, window, moves: int) -> tuple[list[float], list[float]]:
    """(main image, main image + every strip) latencies in ms, from setValue to painted pixels."""
    ex = window.explorer
    names = [n for n in ("code1", "code2", "z0", "z1", "digit") if n in ex.sliders]
    done, shown = [], []
    ex.strips_rendered.connect(lambda: done.append(time.perf_counter()))
    ex.rendered.connect(lambda: shown.append(time.perf_counter()))
    main, full = [], []
    for i in range(moves):
        name = names[i % len(names)]
        slider = ex.sliders[name]
        low, high = slider.minimum(), slider.maximum()
        value = low + (high - low) * ((i * 7919) % 101) / 100
        if name == "digit":
            value = int(value)
        if abs(value - slider.value()) < 1e-6:
            value = low if slider.value() != low else high  # an unchanged value would not redraw
        done.clear()
        shown.clear()
        start = time.perf_counter()
        slider.setValue(value)
        while not shown:
            app.processEvents()
            time.sleep(0.0002)
        ex.main_pane.repaint()  # pixels on screen, not just arrays
        main.append((time.perf_counter() - start) * 1000)
        while not done:
            app.processEvents()
            time.sleep(0.0005)
        for pane in ex.strip_panes.values():
            pane.repaint()
        full.append((time.perf_counter() - start) * 1000)
    ex.strips_rendered.disconnect()
    ex.rendered.disconnect()
    return main, full


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


def pump(app, seconds: float):
    end = time.perf_counter() + seconds
    while time.perf_counter() < end:
        app.processEvents()
        time.sleep(0.001)


def headless_steps_per_s(seconds: float, batch: int) -> float:
    from trainers.data import load_dataset
    from trainers.loop import LoopSettings, TrainControl, Trainer
    from trainers.run import RunDir, RunInfo, build_model

    model = build_model("infogan", {})
    run = RunDir(Path(tempfile.mkdtemp()) / "run")
    run.create(RunInfo("infogan", model.config_dict(), batch_size=batch))
    trainer = Trainer(model, load_dataset("bundled").split()[0], run,
                      LoopSettings(steps=10**6, batch_size=batch, grid_every=100, checkpoint_every=10**6))
    control, rates = TrainControl(), []
    thread = threading.Thread(target=trainer.run_loop, args=(lambda u: rates.append(u.steps_per_s), control))
    thread.start()
    time.sleep(seconds)
    control.stop()
    thread.join()
    return statistics.median([r for r in rates[len(rates) // 3:] if r > 0])


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--moves", type=int, default=60)
    parser.add_argument("--train-seconds", type=float, default=40)
    parser.add_argument("--batch-size", type=int, default=64)
    args = parser.parse_args()

    shown = window_shown_seconds()
    from PySide6.QtWidgets import QApplication

    app = QApplication.instance() or QApplication([])
    from explorer.main_window import MainWindow

    window = MainWindow(runs_home=Path(tempfile.mkdtemp()))
    window.show()
    while window.explorer.model is None:
        pump(app, 0.05)
    slider_latencies(app, window, 5)  # warm-up
    idle_main, idle_full = slider_latencies(app, window, args.moves)

    t = window.training
    t.data.setCurrentIndex(t.data.findData("bundled"))
    t.steps.setValue(10**6)
    t.batch.setValue(args.batch_size)
    t.grid_every.setValue(100)
    t.metrics_every.setValue(0)
    rates = []
    window.start_training()
    window.worker.update.connect(lambda u: rates.append(u.steps_per_s))
    while not rates:
        pump(app, 0.05)
    probe = StallProbe(app)  # training view on screen, plots and grids updating, no interaction
    probe.start()
    quiet_from = len(rates)
    pump(app, args.train_seconds)
    probe.stop()
    quiet_rates = rates[quiet_from:]
    window.tabs.setCurrentWidget(window.explorer)
    busy_probe = StallProbe(app)
    busy_probe.start()
    busy_main, busy_full = slider_latencies(app, window, args.moves)
    busy_probe.stop()
    window.stop_training()
    while window.worker is not None:
        pump(app, 0.05)
    gui_rate = statistics.median([r for r in quiet_rates if r > 0])
    headless_rate = headless_steps_per_s(args.train_seconds, args.batch_size)

    print(f"{'measure':<48}{'value':>10}{'target':>10}{'ratio':>8}")
    rows = [
        ("window shown after launch (s)", shown, 2.0),
        ("slider→main image, idle, median (ms)", statistics.median(idle_main), 16.0),
        ("slider→main image, idle, p95 (ms)", p95(idle_main), 16.0),
        ("slider→main+all strips, idle, median (ms)", statistics.median(idle_full), 16.0),
        ("slider→main+all strips, idle, p95 (ms)", p95(idle_full), 16.0),
        ("slider→main image, training, p95 (ms)", p95(busy_main), 50.0),
        ("slider→main+all strips, training, median (ms)", statistics.median(busy_full), 50.0),
        ("slider→main+all strips, training, p95 (ms)", p95(busy_full), 50.0),
        ("longest stall, training, no interaction (ms)", max(probe.gaps), 50.0),
        ("longest stall, training, dragging sliders (ms)", max(busy_probe.gaps), 50.0),
    ]
    for name, value, target in rows:
        print(f"{name:<48}{value:>10.1f}{target:>10.1f}{value / target:>8.2f}")
    print(f"{'training steps/s in GUI vs headless':<48}{gui_rate:>10.2f}{headless_rate:>10.2f}"
          f"{gui_rate / headless_rate:>8.2f}  (target ratio ≥ 0.90)")
    window.close()


if __name__ == "__main__":
    main()
