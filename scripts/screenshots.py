"""Screenshots of the real window for the README, plus 10x10 random-sample grids of the shipped models.

    python scripts/screenshots.py [--out docs/screenshots] [--shots lab,lab2d,explorer,training,acgan,canvas,grids]

Runs on the offscreen platform by default (or a real display / Xvfb when DISPLAY is set and
QT_QPA_PLATFORM=xcb). The training shot is taken mid-run of a real InfoGAN training.
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")


def pump(app, seconds):
    end = time.perf_counter() + seconds
    while time.perf_counter() < end:
        app.processEvents()
        time.sleep(0.01)


def sample_grids(out: Path):
    import numpy as np

    from trainers.images import make_grid, save_png
    from trainers.paths import SHIPPED_MODELS
    from trainers.run import load_model

    for folder in sorted(p for p in SHIPPED_MODELS.iterdir() if (p / "model.json").is_file()):
        model = load_model(folder)
        if not hasattr(model, "data_kind"):  # the 1-D lab: its picture is the lab's own
            continue
        name = folder.name
        latents = model.latent_spec.sample(100, np.random.default_rng(2024))
        save_png(out / f"samples_{name}.png", make_grid(model.generate_arrays(latents), cols=10), scale=2)


def lab_mid_training(app, window, path: Path, family: str = "gauss1d", at_step: int = 1500, steps: int = 3000):
    """A GAN lab with its default settings, caught mid-run (each trains several hundred steps/s here)."""
    from trainers.updates import StepFigures

    t = window.training
    t.select_family(family)
    t.steps.setValue(steps)
    seen = []
    window.start_training()
    window.training_batch.connect(lambda batch: seen.extend(m.step for m in batch if isinstance(m, StepFigures)))
    while not seen or seen[-1] < at_step:
        pump(app, 0.01)
    window.toggle_pause()  # hold the frame still while it is drawn
    pump(app, 0.6)
    window.grab().save(str(path))
    window.toggle_pause()
    while window.worker is not None:
        pump(app, 0.05)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--out", type=Path, default=Path("docs/screenshots"))
    parser.add_argument("--train-seconds", type=float, default=45)
    parser.add_argument(
        "--shots", default="lab,lab2d,explorer,training,acgan,canvas,grids", help="which to take, comma-separated"
    )
    args = parser.parse_args()
    shots = set(args.shots.split(","))
    args.out.mkdir(parents=True, exist_ok=True)
    from PySide6.QtWidgets import QApplication

    app = QApplication([])
    from explorer.main_window import MainWindow
    from trainers.paths import SHIPPED_MODELS

    window = MainWindow(runs_home=Path(tempfile.mkdtemp()))
    window.resize(1400, 860)
    window.show()
    if "lab" in shots:
        lab_mid_training(app, window, args.out / "lab_gauss1d.png")
    if "lab2d" in shots:
        lab_mid_training(app, window, args.out / "lab_gauss2d.png", "gauss2d", at_step=2500, steps=6000)
        for name, values in (("gauss2d-ring8", {"z1": 0.6, "z2": -0.4}), ("gauss2d-grid25", {"z1": 0.3, "z2": 0.9})):
            if (SHIPPED_MODELS / name).is_dir():
                explore(app, window, SHIPPED_MODELS / name, values, args.out / f"explorer_{name}.png")
    while window.explorer.model is None:
        pump(app, 0.05)
    if "explorer" in shots:
        window.explorer.set_values({"digit": 5, "code1": 0.8, "code2": -0.6, "seed": 3})
        pump(app, 0.5)
        window.grab().save(str(args.out / "explorer_infogan.png"))
        explore(
            app,
            window,
            SHIPPED_MODELS / "stackedgan",
            {"digit": 2, "z0": 0.8, "z1": -0.3, "seed": 11},
            args.out / "explorer_stackedgan.png",
        )
    if "acgan" in shots:
        explore(
            app,
            window,
            SHIPPED_MODELS / "acgan",
            {"digit": 7, "z": 0.1, "seed": 5},
            args.out / "explorer_acgan.png",
        )
        directions_shot(app, window, args.out / "explorer_acgan_directions.png")
        explore(
            app,
            window,
            SHIPPED_MODELS / "acgan-fashion",
            {"digit": 9, "z": 0.0, "seed": 3},
            args.out / "explorer_acgan_fashion.png",
        )
    if "canvas" in shots:
        for name, draw in (("pix2pix-sketch2photo", True), ("pix2pix-photo2sketch", False)):
            if (SHIPPED_MODELS / name).is_dir():
                canvas_mid_drawing(app, window, SHIPPED_MODELS / name, args.out / f"explorer_{name}.png", draw)
    if "training" in shots:
        training_mid_run(app, window, args)
    window.close()
    if "grids" in shots:
        sample_grids(args.out)
    print(f"Wrote screenshots to {args.out}")


def directions_shot(app, window, path):
    """The open model with its shipped directions shown (D), a sample pinned for the interpolation."""
    ex, found = window.explorer, []
    ex.directions_found.connect(lambda: found.append(True))
    while not ex.directions.button.text().startswith("Show"):  # the cached ones, read off the GUI thread
        pump(app, 0.05)
    ex.find_directions()
    while not found:
        pump(app, 0.05)
    ex.set_values({"digit": 3, "seed": 8})
    ex.pin_sample()
    ex.set_values({"digit": 3, "seed": 21, "dir0": 1.5})
    pump(app, 1.5)
    window.grab().save(str(path))


def explore(app, window, folder, values, path):
    loaded = []
    window.model_loaded.connect(loaded.append)
    window.open_path(folder)
    while not loaded:  # read off the GUI thread
        pump(app, 0.05)
    window.model_loaded.disconnect(loaded.append)
    window.tabs.setCurrentWidget(window.explorer)
    window.explorer.set_values(values)
    pump(app, 0.8)
    window.grab().save(str(path))


def canvas_mid_drawing(app, window, folder, path, draw: bool = True):
    """A translation model on a held-out sneaker (class 7). With `draw`, caught mid-drawing: the sketch's toe
    rubbed out with the eraser and half redrawn with the pen, each stroke a real mouse drag."""
    from PySide6.QtCore import QPoint, Qt
    from PySide6.QtTest import QTest

    explore(app, window, folder, {}, path)
    panel = next(w for w in window.explorer.sliders.values() if hasattr(w, "canvas"))
    classes = list(panel.examples.get("class", panel.examples.get("true_class")))
    panel.show_example(classes.index(7) if 7 in classes else 0)
    pump(app, 0.5)
    canvas, size = panel.canvas, panel.canvas.width()

    def drag(points):
        QTest.mousePress(canvas, Qt.MouseButton.LeftButton, pos=QPoint(*points[0]))
        for point in points[1:]:
            QTest.mouseMove(canvas, QPoint(*point))
            pump(app, 0.02)
        QTest.mouseRelease(canvas, Qt.MouseButton.LeftButton, pos=QPoint(*points[-1]))

    if draw:
        panel.eraser.click()
        for x in range(int(size * 0.62), size, 10):
            drag([(x, 0), (x, size // 2), (x, size - 1)])
        panel.pen.click()
        drag([(int(size * 0.62), int(size * f)) for f in (0.7, 0.68, 0.66)] + [(int(size * 0.75), int(size * 0.64))])
    pump(app, 1.0)
    window.grab().save(str(path))


def training_mid_run(app, window, args):
    t = window.training
    t.select_family("infogan")
    t.data.setCurrentIndex(t.data.findData("bundled"))
    t.steps.setValue(2000)
    t.batch.setValue(32)
    t.grid_every.setValue(5)
    t.metrics_every.setValue(10)
    window.start_training()
    pump(app, args.train_seconds)
    window.grab().save(str(args.out / "training.png"))


if __name__ == "__main__":
    main()
