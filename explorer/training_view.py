"""The training view: choose a model and data, start/pause/stop, watch losses, metrics and grids."""
from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QTimer, Signal
from PySide6.QtWidgets import (QComboBox, QFileDialog, QFormLayout, QGridLayout, QGroupBox, QHBoxLayout, QLabel,
                               QProgressBar, QPushButton, QSlider, QSpinBox, QVBoxLayout, QWidget)

from explorer.imageview import ImagePane
from trainers.loop import TrainingUpdate

LOSS_SMOOTHING = 0.98    # exponential moving average: losses come every step
METRIC_SMOOTHING = 0.5   # live metrics come every few hundred steps
NEW_CURVES_PER_REDRAW = 3
DEFAULT_WARMUP_STEPS = 600  # the shipped InfoGAN's fine-tune recipe (its model card)
COLORS = ["#e6194b", "#3cb44b", "#4363d8", "#f58231", "#911eb4", "#42d4f4", "#f032e6", "#bfef45", "#9a6324",
          "#800000", "#469990", "#000075", "#a9a9a9"]


class Series:
    """A growing (step, raw, smoothed) record in numpy arrays that double when full, so a redraw
    hands pyqtgraph views instead of converting ever longer lists (40k steps: 94 -> a few ms)."""

    def __init__(self, smoothing: float, capacity: int = 1024):
        self.smoothing = smoothing
        self.n = 0
        self._data = np.empty((3, capacity))  # rows: step, raw, smoothed

    def append(self, step: int, value: float) -> None:
        if self.n == self._data.shape[1]:
            self._data = np.concatenate([self._data, np.empty_like(self._data)], axis=1)
        last = self._data[2, self.n - 1] if self.n else value
        smooth = self.smoothing * last + (1 - self.smoothing) * value if math.isfinite(value) else last
        self._data[:, self.n] = step, value, smooth
        self.n += 1

    @property
    def steps(self) -> np.ndarray:
        return self._data[0, :self.n]

    @property
    def raw(self) -> np.ndarray:
        return self._data[1, :self.n]

    @property
    def smooth(self) -> np.ndarray:
        return self._data[2, :self.n]


class CurveSet:
    """One raw (faint) and one smoothed PlotDataItem per named series, created once, then setData."""

    def __init__(self, plot: pg.PlotItem, smoothing: float = LOSS_SMOOTHING):
        self.plot = plot
        self.smoothing = smoothing
        self.series: dict[str, Series] = {}
        self.items: dict[str, tuple] = {}

    def add(self, step: int, values: dict) -> None:
        for name, value in values.items():
            self.series.setdefault(name, Series(self.smoothing)).append(step, value)

    def redraw(self) -> None:
        # creating a curve costs ~2 ms: a few per redraw keeps the first one from stalling the GUI
        for name in [n for n in self.series if n not in self.items][:NEW_CURVES_PER_REDRAW]:
            color = COLORS[len(self.items) % len(COLORS)]
            faint = pg.mkPen(pg.mkColor(color).lighter(160), width=1)
            self.items[name] = (self.plot.plot(pen=faint), self.plot.plot(pen=pg.mkPen(color, width=2), name=name))
        for name, (raw, smooth) in self.items.items():
            series = self.series[name]
            raw.setData(series.steps, series.raw)
            smooth.setData(series.steps, series.smooth)

    def clear(self) -> None:
        self.plot.clear()
        self.plot.addLegend() if self.plot.legend is None else self.plot.legend.clear()
        self.series, self.items = {}, {}


class TrainingView(QWidget):
    start_requested = Signal()
    pause_toggled = Signal()
    stop_requested = Signal()
    save_requested = Signal()
    explore_requested = Signal()

    def __init__(self, parent=None):
        super().__init__(parent)
        self.grids: list[tuple[int, np.ndarray]] = []
        self._pending: list[TrainingUpdate] = []
        self._build()
        self._redraw_timer = QTimer(self, interval=100)  # coalesce updates: plots redraw at most 10x/s
        self._redraw_timer.timeout.connect(self._flush)
        self._redraw_timer.start()

    # --- layout --------------------------------------------------------------------------
    def _build(self):
        self.family = QComboBox()
        self.family.addItem("InfoGAN", "infogan")
        self.family.addItem("StackedGAN", "stackedgan")
        self.data = QComboBox()
        self.data.addItem("Automatic (Keras cache, else bundled)", "auto")
        self.data.addItem("Bundled MNIST subset (10,000)", "bundled")
        self.data.addItem("Keras cache (~/.keras/datasets/mnist.npz)", "keras")
        self.browse = QPushButton("Choose file or folder…")
        self.browse.clicked.connect(self._choose_data)
        self.steps = QSpinBox(minimum=1, maximum=1_000_000, value=2000, singleStep=500)
        self.batch = QSpinBox(minimum=2, maximum=1024, value=64)
        self.grid_every = QSpinBox(minimum=1, maximum=100_000, value=50)
        self.metrics_every = QSpinBox(minimum=0, maximum=100_000, value=200, specialValueText="off")
        self.code_loss = QComboBox()
        self.code_loss.addItem("Gaussian (paper)", "gaussian")
        self.code_loss.addItem("Book's mi_loss", "book")
        self.start_from = QComboBox()
        self.start_from.addItem("New weights", None)
        self.start_from.setToolTip("Fine-tune: keep the open model's generator and settings, with fresh optimizers")
        self.warmup = QSpinBox(minimum=0, maximum=100_000, value=DEFAULT_WARMUP_STEPS, singleStep=100,
                               specialValueText="none", suffix=" steps")
        self.warmup.setToolTip("Fine-tuning starts fresh discriminators: train only them for these first steps, "
                               "so the generator does not learn from an untrained critic")
        self.family.currentIndexChanged.connect(self._sync_enabled)
        self.start_from.currentIndexChanged.connect(self._on_start_from)
        form = QFormLayout()
        form.addRow("Model", self.family)
        form.addRow("Start from", self.start_from)
        form.addRow("Discriminator warm-up", self.warmup)
        data_row = QHBoxLayout()
        data_row.addWidget(self.data, 1)
        data_row.addWidget(self.browse)
        form.addRow("Data", data_row)
        form.addRow("Steps", self.steps)
        form.addRow("Batch size", self.batch)
        form.addRow("Grid every", self.grid_every)
        form.addRow("Metrics every", self.metrics_every)
        form.addRow("Code loss", self.code_loss)
        setup = QGroupBox("Setup")
        setup.setLayout(form)

        self.start_button = QPushButton("Start")
        self.pause_button = QPushButton("Pause")
        self.stop_button = QPushButton("Stop")
        self.save_button = QPushButton("Save checkpoint")
        self.explore_button = QPushButton("Explore ▶")
        for button, signal in ((self.start_button, self.start_requested), (self.pause_button, self.pause_toggled),
                               (self.stop_button, self.stop_requested), (self.save_button, self.save_requested),
                               (self.explore_button, self.explore_requested)):
            button.clicked.connect(signal.emit)
        buttons = QHBoxLayout()
        for b in (self.start_button, self.pause_button, self.stop_button, self.save_button, self.explore_button):
            buttons.addWidget(b)
        self.progress = QProgressBar()
        self.phase = QLabel("Idle")
        self.rate = QLabel("–")
        status = QGridLayout()
        status.addWidget(self.phase, 0, 0, 1, 2)
        status.addWidget(self.progress, 1, 0, 1, 2)
        status.addWidget(self.rate, 2, 0, 1, 2)

        left = QVBoxLayout()
        left.addWidget(setup)
        left.addLayout(buttons)
        left.addLayout(status)
        left.addWidget(QLabel("Fixed-noise samples (columns: digits 0–9)"))
        self.grid_pane = ImagePane(min_height=260)
        left.addWidget(self.grid_pane, 1)
        self.timeline = QSlider(orientation=pg.QtCore.Qt.Orientation.Horizontal)
        self.timeline.setEnabled(False)
        self.timeline.valueChanged.connect(self._show_grid)
        self.timeline_label = QLabel("no grids yet")
        left.addWidget(self.timeline)
        left.addWidget(self.timeline_label)

        self.loss_plot = pg.PlotWidget(title="Losses and accuracies (faint: raw, bold: smoothed)")
        self.loss_plot.addLegend(offset=(-10, 10))
        self.loss_plot.setLabel("bottom", "step")
        self.metrics_plot = pg.PlotWidget(title="Live label accuracy (generated digits)")
        self.metrics_plot.addLegend(offset=(-10, 10))
        self.metrics_plot.setLabel("bottom", "step")
        self.metrics_plot.setYRange(0, 1)
        self.fid_plot = pg.PlotWidget(title="Live Fréchet distance to real digits")
        self.fid_plot.addLegend(offset=(-10, 10))
        self.fid_plot.setLabel("bottom", "step")
        for plot in (self.loss_plot, self.metrics_plot, self.fid_plot):  # long runs: ~screen-width points
            plot.setDownsampling(auto=True, mode="peak")
            plot.setClipToView(True)
        self.losses = CurveSet(self.loss_plot.getPlotItem())
        self.metrics = CurveSet(self.metrics_plot.getPlotItem(), METRIC_SMOOTHING)
        self.fid = CurveSet(self.fid_plot.getPlotItem(), METRIC_SMOOTHING)
        right = QVBoxLayout()
        right.addWidget(self.loss_plot, 3)
        quality = QHBoxLayout()
        quality.addWidget(self.metrics_plot)
        quality.addWidget(self.fid_plot)
        right.addLayout(quality, 2)

        layout = QHBoxLayout(self)
        layout.addLayout(left, 2)
        layout.addLayout(right, 3)
        self.set_running(False)

    @property
    def family_name(self) -> str:
        return self.family.currentData()

    def data_choice(self) -> str:
        return self.data.currentData()

    def options(self) -> tuple:
        source = self.fine_tune_source()
        if source is not None:  # the model's own settings: same losses, same shapes
            return tuple((k, v) for k, v in source.config.items() if k != "precision")
        return (("code_loss", self.code_loss.currentData()),) if self.family_name == "infogan" else ()

    def fine_tune_source(self):
        return self.start_from.currentData()

    def offer_fine_tune(self, source, title: str) -> None:
        """Offer the open model (a trainers.run.FineTuneSource) as a starting point, or withdraw it (None)."""
        self.start_from.setCurrentIndex(0)
        while self.start_from.count() > 1:
            self.start_from.removeItem(1)
        if source is not None:
            self.start_from.addItem(f"Fine-tune the open {title} ({source.path.name})", source)

    def _on_start_from(self):
        source = self.fine_tune_source()
        if source is not None:
            self.family.setCurrentIndex(self.family.findData(source.family))
        self._sync_enabled()

    def _sync_enabled(self):
        idle = self.start_button.isEnabled()
        fine_tuning = self.fine_tune_source() is not None
        self.family.setEnabled(idle and not fine_tuning)
        self.code_loss.setEnabled(idle and not fine_tuning and self.family_name == "infogan")
        self.warmup.setEnabled(idle and fine_tuning)

    def warmup_steps(self) -> int:
        """Steps with the generators frozen: only when fine-tuning (a new run's networks start together)."""
        return self.warmup.value() if self.fine_tune_source() is not None else 0

    def _choose_data(self):
        path, _ = QFileDialog.getOpenFileName(self, "MNIST .npz file (or cancel to pick an IDX folder)", "",
                                              "NumPy archives (*.npz)")
        if not path:
            path = QFileDialog.getExistingDirectory(self, "Folder with the four MNIST IDX .gz files")
        if path:
            self.data.addItem(Path(path).name, path)
            self.data.setCurrentIndex(self.data.count() - 1)

    # --- state -----------------------------------------------------------------------------
    def set_running(self, running: bool, paused: bool = False):
        self.start_button.setEnabled(not running)
        for w in (self.start_from, self.data, self.browse, self.steps, self.batch, self.grid_every, self.metrics_every):
            w.setEnabled(not running)
        self._sync_enabled()
        self.pause_button.setEnabled(running)
        self.stop_button.setEnabled(running)
        self.save_button.setEnabled(running)
        self.pause_button.setText("Resume" if paused else "Pause")

    def reset(self):
        self.grids.clear()
        self._pending.clear()
        for curves in (self.losses, self.metrics, self.fid):
            curves.clear()
        self.timeline.setEnabled(False)
        self.timeline_label.setText("no grids yet")

    def on_update(self, update: TrainingUpdate):
        """Slot for the worker's signal: just queue; the timer draws (keeps the event loop free)."""
        self._pending.append(update)

    def _flush(self):
        if not self._pending:
            return
        pending, self._pending = self._pending, []
        for u in pending:
            if u.phase == "train":
                self.losses.add(u.step, u.losses)
            if u.metrics:
                self.fid.add(u.step, {k: v for k, v in u.metrics.items() if k.startswith("frechet")})
                self.metrics.add(u.step, {k: v for k, v in u.metrics.items()
                                          if k != "step" and not k.startswith("frechet")})
            if u.grid is not None:
                self._add_grid(u.step, u.grid)
        for curves in (self.losses, self.metrics, self.fid):
            curves.redraw()
        self._show_status(pending[-1])

    def _add_grid(self, step: int, grid: np.ndarray):
        if self.grids and self.grids[-1][0] == step:
            self.grids[-1] = (step, grid)
        else:
            self.grids.append((step, grid))
        at_end = self.timeline.value() >= self.timeline.maximum() - 1 or not self.timeline.isEnabled()
        self.timeline.setEnabled(True)
        self.timeline.setMaximum(len(self.grids) - 1)
        newest = len(self.grids) - 1
        if at_end and self.timeline.value() != newest:  # follow the newest grid unless scrubbing back
            self.timeline.setValue(newest)  # valueChanged draws it
        elif at_end:
            self._show_grid(newest)  # same index, new pixels (a replaced grid)

    def _show_grid(self, index: int):
        if 0 <= index < len(self.grids):
            step, grid = self.grids[index]
            self.grid_pane.show_image(grid)
            self.timeline_label.setText(f"grid at step {step} ({index + 1}/{len(self.grids)})")

    def _show_status(self, u: TrainingUpdate):
        if u.phase == "prepare":
            self.phase.setText(u.message or "Preparing")
            self.progress.setRange(0, 1000)
            self.progress.setValue(int(1000 * (u.fraction or 0)))
            return
        self.progress.setRange(0, max(u.total_steps, 1))
        self.progress.setValue(u.step)
        doing = "Discriminator warm-up (generators frozen)" if u.generators_frozen else "Training"
        self.phase.setText(u.message or f"{doing}: step {u.step:,} of {u.total_steps:,}")
        remaining = (u.total_steps - u.step) / u.steps_per_s if u.steps_per_s > 0 else float("nan")
        self.rate.setText(f"{u.steps_per_s:.2f} steps/s · elapsed {_clock(u.elapsed_s)} · ETA {_clock(remaining)}")


def _clock(seconds: float) -> str:
    if not math.isfinite(seconds):
        return "–"
    seconds = int(seconds)
    return f"{seconds // 3600:d}:{seconds // 60 % 60:02d}:{seconds % 60:02d}"
