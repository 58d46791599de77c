"""The training view: choose a family and its settings, start/pause/step/stop, watch losses, metrics
and the family's samples live. Everything family-specific comes from the registry and the family's
contract (trainers.families); the sample panel is picked by the kind of preview a run sends."""

from __future__ import annotations

import math
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QTimer, Signal
from PySide6.QtWidgets import (
    QComboBox,
    QFileDialog,
    QFormLayout,
    QGridLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QProgressBar,
    QPushButton,
    QScrollArea,
    QSlider,
    QSpinBox,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)

from explorer.curves import CurvePanel
from explorer.imageview import ImagePane
from explorer.lab_view import FRAME_VIEWS
from explorer.settings_form import SettingsForm
from explorer.status_line import StatusLine
from trainers.devices import CHOICES as DEVICE_CHOICES
from trainers.devices import several_devices_possible
from trainers.errors import UserFacingError
from trainers.families import FAMILIES, family_entry
from trainers.session import TrainingRequest
from trainers.updates import Alarm, Finished, LiveMetrics, PreparationProgress, SampleSnapshot, StepFigures

LOSS_SMOOTHING = 0.98  # exponential moving average: losses come every step
METRIC_SMOOTHING = 0.5  # live metrics come every few hundred steps
REDRAW_MS = 30  # samples: at most 33 redraws a second, and only when something new came
CURVES_EVERY_S = 0.2  # curves of thousands of points: 5 redraws a second read as live and cost a fifth
# ... and only as often as they visibly change: a run of a few steps a second adds a point in a thousand per
# redraw, and each redraw took CPU time from its training (the GUI's training speed read 0.84-0.88 of headless)
CURVES_VISIBLE_SHARE = 0.01
CURVES_AT_LEAST_EVERY_S = 1.0
PACES = (0.0, 30.0, 10.0, 3.0, 1.0)  # the speed slider's steps a second, full speed first
DEFAULT_WARMUP_STEPS = 600  # the fine-tune recipe of the first shipped model (its model card)


class TrainingView(QWidget):
    start_requested = Signal()
    pause_toggled = Signal()
    single_step_requested = Signal()
    part_step_requested = Signal(str)  # "discriminator" or "generator": that network alone, once
    pace_changed = Signal(float)  # steps a second, 0 = full speed
    settings_changed = Signal(dict)  # live settings edited while a run trains
    stop_requested = Signal()
    save_requested = Signal()
    explore_requested = Signal()
    export_animation_requested = Signal()

    def __init__(self, parent=None):
        super().__init__(parent)
        self.previews: list[tuple[int, object]] = []  # (step, grid or frame) for the timeline
        self._pending: list = []
        self._curves_drawn_at = 0.0
        self._finished_undrawn = False
        self._owed: dict = {}  # views with something new to draw (an ordered set), one drawn per tick
        self.backend_ready = False
        self._running = False
        self._build()
        self._redraw_timer = QTimer(self, interval=REDRAW_MS)
        self._redraw_timer.timeout.connect(self.flush)
        self._redraw_timer.start()
        self._on_family_changed()

    # --- layout --------------------------------------------------------------------------
    def _build(self):
        self.family = QComboBox()
        for entry in FAMILIES:
            self.family.addItem(entry.title, entry.name)
            self.family.setItemData(self.family.count() - 1, entry.summary, pg.QtCore.Qt.ItemDataRole.ToolTipRole)
        self.data = QComboBox()
        self._data_files: list[str] = []  # added with Browse…, kept across families
        self.browse = QPushButton("Choose…")
        self.browse.setToolTip("An .npz with x and y, or a folder of the four MNIST IDX files")
        self.browse.clicked.connect(self._choose_data)
        self.steps = QSpinBox(minimum=1, maximum=10_000_000, singleStep=500)
        self.batch = QSpinBox(minimum=1, maximum=4096)
        self.grid_every = QSpinBox(minimum=1, maximum=1_000_000)
        self.metrics_every = QSpinBox(minimum=0, maximum=1_000_000, specialValueText="off")
        self.devices = QComboBox()
        for label, value in DEVICE_CHOICES:
            self.devices.addItem(label, value)
        if several_devices_possible():
            self.devices.setToolTip("Several devices train data-parallel on Keras's JAX backend: the batch is split")
        else:
            self.devices.setEnabled(False)
            self.devices.setToolTip("Training on several devices needs JAX: pip install jax (jax[cuda12] on a GPU)")
        self.start_from = QComboBox()
        self.start_from.addItem("New weights", None)
        self.start_from.setToolTip("Fine-tune: keep the open model's generator and settings, with fresh optimizers")
        self.warmup = QSpinBox(
            minimum=0,
            maximum=100_000,
            value=DEFAULT_WARMUP_STEPS,
            singleStep=100,
            specialValueText="none",
            suffix=" steps",
        )
        self.warmup.setToolTip(
            "Fine-tuning starts fresh discriminators: train only them for these first steps, "
            "so the generator does not learn from an untrained critic"
        )
        self.preset = QComboBox()
        self.preset.setToolTip("Start from a named set of settings; any of them can still be changed below")
        self.preset.currentIndexChanged.connect(self._on_preset)
        self.family.currentIndexChanged.connect(self._on_family_changed)
        self.start_from.currentIndexChanged.connect(self._on_start_from)
        form = QFormLayout()
        form.addRow("Model", self.family)
        self.preset_label = QLabel("Preset")
        form.addRow(self.preset_label, self.preset)
        form.addRow("Start from", self.start_from)
        form.addRow("Discriminator warm-up", self.warmup)
        data_row = QHBoxLayout()
        data_row.addWidget(self.data, 1)
        data_row.addWidget(self.browse)
        self.draw_button = QPushButton("Draw…")
        self.draw_button.setToolTip("Draw the real distribution on the plane, point by point or in strokes")
        self.draw_button.clicked.connect(self.open_drawing)
        self.draw_button.hide()
        self.draw_dialog = None
        data_row.addWidget(self.draw_button)
        self.data_label = QLabel("Data")
        form.addRow(self.data_label, data_row)
        form.addRow("Steps", self.steps)
        form.addRow("Batch size", self.batch)
        form.addRow("Samples every", self.grid_every)
        form.addRow("Metrics every", self.metrics_every)
        form.addRow("Devices", self.devices)
        setup = QGroupBox("Setup")
        setup.setLayout(form)
        self.settings = SettingsForm()
        self.settings.edited.connect(self._on_setting_edited)
        self.settings_note = QLabel("")
        self.settings_note.setWordWrap(True)
        settings_box = QGroupBox("Model settings (hover for what each does)")
        scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        scroll.setWidget(self.settings)
        scroll.setMinimumHeight(90)
        box_layout = QVBoxLayout(settings_box)
        box_layout.addWidget(self.settings_note)
        box_layout.addWidget(scroll)

        self.start_button = QPushButton("Start")
        self.pause_button = QPushButton("Pause")
        self.step_button = QPushButton("Step")
        self.step_button.setToolTip("While paused: train exactly one step (F7)")
        self.stop_button = QPushButton("Stop")
        self.save_button = QPushButton("Save checkpoint")
        self.explore_button = QPushButton("Explore ▶")
        self.export_button = QPushButton("Export animation…")
        self.export_button.setToolTip("Every sample snapshot so far as a GIF (or MP4) (Ctrl+Shift+G)")
        buttons = QGridLayout()
        for i, (button, signal) in enumerate(
            (
                (self.start_button, self.start_requested),
                (self.pause_button, self.pause_toggled),
                (self.step_button, self.single_step_requested),
                (self.stop_button, self.stop_requested),
                (self.save_button, self.save_requested),
                (self.explore_button, self.explore_requested),
                (self.export_button, self.export_animation_requested),
            )
        ):
            button.clicked.connect(signal.emit)
            buttons.addWidget(button, i // 4, i % 4)
        lab_row = self._build_lab_controls()
        self.progress = QProgressBar()
        self.phase = StatusLine("Idle")
        self.rate = StatusLine("–")
        self.alarm = QLabel("")  # signs of mode collapse (trainers.alarms); hidden until there is one
        self.alarm.setWordWrap(True)
        self.alarm.setStyleSheet(
            "QLabel { background: #fff3cd; color: #664d03; border: 1px solid #e0c36a;"
            " border-radius: 3px; padding: 4px; }"
        )
        self.alarm.hide()
        status = QVBoxLayout()
        for w in (self.phase, self.progress, self.rate, self.alarm):
            status.addWidget(w)

        left = QVBoxLayout()
        left.addWidget(setup)
        left.addWidget(settings_box, 1)
        left.addLayout(buttons)
        left.addLayout(status)

        self.preview_title = QLabel("Samples")
        self.grid_pane = ImagePane(min_height=240)
        self.preview_stack = QStackedWidget()
        self.preview_stack.addWidget(self.grid_pane)
        self._frame_views: dict[type, QWidget] = {}  # a lab's view, made when its first frame comes
        self.timeline = QSlider(orientation=pg.QtCore.Qt.Orientation.Horizontal)
        self.timeline.setEnabled(False)
        self.timeline.valueChanged.connect(self._show_preview)
        self.timeline.setToolTip("Replay every snapshot of this run")
        self.timeline_label = StatusLine("no samples yet")  # a lab sends frames many times a second
        middle = QVBoxLayout()
        middle.addWidget(self.preview_title)
        middle.addWidget(self.preview_stack, 1)
        middle.addLayout(lab_row)  # under the view they act on; the left column is tall enough
        middle.addWidget(self.timeline)
        middle.addWidget(self.timeline_label)

        self.losses = CurvePanel(LOSS_SMOOTHING)
        self.metrics = CurvePanel(METRIC_SMOOTHING)
        right = QVBoxLayout()
        right.addWidget(QLabel("Losses and accuracies (faint: raw, bold: smoothed; click a legend entry to hide it)"))
        right.addWidget(self.losses, 3)
        right.addWidget(QLabel("Live quality metrics"))
        right.addWidget(self.metrics, 2)

        layout = QHBoxLayout(self)
        layout.addLayout(left, 3)
        layout.addLayout(middle, 4)
        layout.addLayout(right, 4)
        self.set_running(False)

    # --- the family and its settings -----------------------------------------------------------
    @property
    def family_name(self) -> str:
        return self.family.currentData()

    def select_family(self, name: str) -> None:
        self.family.setCurrentIndex(self.family.findData(name))

    def set_backend_ready(self) -> None:
        """TensorFlow is imported: the Keras families' settings can be shown."""
        self.backend_ready = True
        self._on_family_changed()

    def family_class(self):
        """The selected family's class, or None while its module waits for TensorFlow's start."""
        entry = family_entry(self.family_name)
        if entry.needs_tensorflow and not self.backend_ready:
            return None
        return entry.load()

    def _on_family_changed(self, *_):
        entry = family_entry(self.family_name)
        self._apply_defaults(entry.defaults)
        cls = self.family_class()
        if cls is None:
            self.settings.build(_Nothing)
            self.settings_note.setText("Its settings appear as soon as TensorFlow has started…")
        else:
            self.settings.build(cls.config_class)
            self.settings_note.setText(entry.summary)
            self._fill_presets(cls)
            self._fill_data(cls)
            self._configure_loss_plots(cls)
            self.metrics.configure(cls.metric_panels)
        self.draw_button.setVisible(cls is not None and cls.drawn_points is not None)
        partial = cls is not None and bool(cls.partial_steps)
        self.step_d_button.setVisible(partial)
        self.step_g_button.setVisible(partial)
        self._sync_enabled()

    def _apply_defaults(self, defaults) -> None:
        """The family's training defaults, except where the user changed the previous family's."""
        previous = getattr(self, "_defaults", None)
        for box, field in (
            (self.steps, "steps"),
            (self.batch, "batch_size"),
            (self.grid_every, "grid_every"),
            (self.metrics_every, "metrics_every"),
        ):
            if previous is None or box.value() == getattr(previous, field):
                box.setValue(getattr(defaults, field))
        self._defaults = defaults

    def _fill_presets(self, cls) -> None:
        self.preset.blockSignals(True)
        self.preset.clear()
        for preset in cls.presets:
            self.preset.addItem(preset.title, preset)
        self.preset.blockSignals(False)
        self.preset.setVisible(bool(cls.presets))
        self.preset_label.setVisible(bool(cls.presets))

    def _on_preset(self, *_):
        """Every setting back to its default, then the preset's values; its steps and batch size too."""
        preset, cls = self.preset.currentData(), self.family_class()
        if preset is None or cls is None:
            return
        self.settings.set_values({name: info.default for name, info in self.settings.infos.items()})
        self.settings.set_values(preset.config)
        defaults = family_entry(self.family_name).defaults
        self.steps.setValue(preset.training.get("steps", defaults.steps))
        self.batch.setValue(preset.training.get("batch_size", defaults.batch_size))

    def _fill_data(self, cls) -> None:
        """The family's data choices and the files the user added; what was chosen stays chosen if offered."""
        chosen = self.data.currentData()
        self.data.clear()
        for text, spec in cls.data_choices:
            self.data.addItem(text, spec)
        if cls.accepts_data_files:
            for path in self._data_files:
                self.data.addItem(Path(path).name, path)
        if chosen is not None and self.data.findData(chosen) >= 0:
            self.data.setCurrentIndex(self.data.findData(chosen))
        has_data = bool(cls.data_choices)
        for w in (self.data_label, self.data, self.browse):
            w.setVisible(has_data)
        self.browse.setVisible(cls.accepts_data_files)

    def data_choice(self) -> str:
        return self.data.currentData() or "auto"

    def options(self) -> tuple:
        source = self.fine_tune_source()
        if source is not None:  # the model's own settings: same losses, same shapes
            return tuple((k, v) for k, v in source.config.items() if k != "precision")
        return tuple(self.settings.changed_values().items())

    def request(self, run_dir: Path, resume: bool = False) -> TrainingRequest:
        if self.family_class() is None:
            raise UserFacingError("TensorFlow is still starting: this model can be trained in a few seconds.")
        source = self.fine_tune_source()
        return TrainingRequest(
            self.family_name,
            Path(run_dir),
            self.steps.value(),
            self.batch.value(),
            self.data_choice(),
            resume=resume,
            grid_every=self.grid_every.value(),
            metrics_every=self.metrics_every.value(),
            options=self.options(),
            init_from=source.path if source else None,
            generator_warmup_steps=self.warmup_steps(),
            devices=self.devices.currentData(),
        )

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
            self.select_family(source.family)
            self.settings.set_values(source.config)
        self._sync_enabled()

    def _sync_enabled(self):
        idle = not self._running
        fine_tuning = self.fine_tune_source() is not None
        self.family.setEnabled(idle and not fine_tuning)
        self.preset.setEnabled(idle and not fine_tuning)
        cls = self.family_class()
        live = () if idle or cls is None else cls.live_settings
        self.settings.setEnabled((idle and not fine_tuning) or bool(live))
        self.settings.enable_only(set(self.settings.widgets) if idle else live)
        self.warmup.setEnabled(idle and fine_tuning)
        self.start_button.setEnabled(idle and cls is not None)

    def warmup_steps(self) -> int:
        """Steps with the generators frozen: only when fine-tuning (a new run's networks start together)."""
        return self.warmup.value() if self.fine_tune_source() is not None else 0

    def _choose_data(self):
        path, _ = QFileDialog.getOpenFileName(
            self,
            "Data file (or cancel to pick a folder)",
            "",
            "Data files (*.npz *.mat *.tar.gz *.tgz);;MNIST-format .npz (*.npz);;SVHN (*.mat);;"
            "CIFAR-10 python (*.tar.gz)",
        )
        if not path:
            path = QFileDialog.getExistingDirectory(
                self, "Folder: MNIST-format IDX files, CIFAR-10 python batches or SVHN .mat files"
            )
        if path:
            self.add_data_file(path)

    def add_data_file(self, path: str) -> None:
        """A file or folder of the user's in the data menu, chosen; it stays there for the other families."""
        if path not in self._data_files:
            self._data_files.append(path)
            self.data.addItem(Path(path).name, path)
        self.data.setCurrentIndex(self.data.findData(path))

    def _on_setting_edited(self, name: str, value) -> None:
        cls = self.family_class()
        if self._running and cls is not None and name in cls.live_settings:
            self.settings_changed.emit({name: value})
            self.losses.set_reference_lines(cls.loss_reference(dict(self.options())))  # e.g. the loss changed

    def open_drawing(self) -> None:
        """The canvas for the family's drawn distribution; OK puts the points into the settings."""
        from explorer.draw_points import DrawPointsDialog

        drawn = self.family_class().drawn_points
        if self.draw_dialog is not None:  # the last one, with its canvas: one dialog alive, not one per click
            self.draw_dialog.deleteLater()
        dialog = self.draw_dialog = DrawPointsDialog(drawn.box, str(self.settings.values().get(drawn.points, "")), self)

        def use_points():
            self.settings.set_values({drawn.points: dialog.points_text(), drawn.switch[0]: drawn.switch[1]})

        dialog.accepted.connect(use_points)
        dialog.open()

    def _build_lab_controls(self) -> QHBoxLayout:
        """Step D / step G (for families that can update one network alone) and the speed slider."""
        self.step_d_button = QPushButton("Step D")
        self.step_d_button.setToolTip("While paused: update the discriminator alone, once (F8)")
        self.step_g_button = QPushButton("Step G")
        self.step_g_button.setToolTip("While paused: update the generator alone, once (F9)")
        self.step_d_button.clicked.connect(lambda: self.part_step_requested.emit("discriminator"))
        self.step_g_button.clicked.connect(lambda: self.part_step_requested.emit("generator"))
        self.speed = QSlider(orientation=pg.QtCore.Qt.Orientation.Horizontal)
        self.speed.setRange(0, len(PACES) - 1)
        self.speed.setValue(0)
        self.speed.setToolTip("Slow motion: fewer steps a second, every one of them shown")
        self.speed_label = QLabel()
        self.speed.valueChanged.connect(self._on_speed)
        self._on_speed(0)
        row = QHBoxLayout()
        for w in (self.step_d_button, self.step_g_button, QLabel("Speed"), self.speed, self.speed_label):
            row.addWidget(w)
        return row

    @property
    def pace(self) -> float:
        """Steps a second the speed slider asks for; 0 = full speed."""
        return PACES[self.speed.value()]

    def _on_speed(self, _=None) -> None:
        pace = self.pace
        self.speed_label.setText("full" if not pace else f"{pace:g} step{'s' if pace != 1 else ''}/s")
        self.pace_changed.emit(pace)

    # --- state -----------------------------------------------------------------------------
    def set_running(self, running: bool, paused: bool = False):
        self._running = running
        fixed_while_running = (self.start_from, self.data, self.browse, self.draw_button, self.steps, self.batch)
        for w in (*fixed_while_running, self.grid_every, self.metrics_every):
            w.setEnabled(not running)
        self.devices.setEnabled(not running and several_devices_possible())
        self._sync_enabled()
        self.pause_button.setEnabled(running)
        self.step_button.setEnabled(running and paused)
        for button in (self.step_d_button, self.step_g_button):
            button.setEnabled(running and paused)
        self.stop_button.setEnabled(running)
        self.save_button.setEnabled(running)
        self.pause_button.setText("Resume" if paused else "Pause")

    @property
    def is_live_lab(self) -> bool:
        """The run plays as a live lab (frames, not image grids), watched here rather than in the explorer."""
        return bool(self.previews) and not isinstance(self.previews[-1][1], np.ndarray)

    def frame_view(self, frame_type: type) -> QWidget:
        """The view that draws a lab's frames of this type (lab_view.FRAME_VIEWS)."""
        view = self._frame_views.get(frame_type)
        if view is None:
            view = self._frame_views[frame_type] = FRAME_VIEWS[frame_type]()
            view.setMinimumHeight(300)
            self.preview_stack.addWidget(view)
        return view

    @property
    def lab(self) -> QWidget | None:
        """The lab view on show, if a lab's frame is."""
        current = self.preview_stack.currentWidget()
        return current if current in self._frame_views.values() else None

    def _configure_loss_plots(self, cls) -> None:
        """The family's loss panels, with the reference lines of the settings as they are (e.g. the loss)."""
        self.losses.configure(cls.loss_groups, cls.loss_reference(dict(self.options())))

    def reset(self):
        self.previews.clear()
        self._pending.clear()
        self._owed.clear()
        cls = self.family_class()
        if cls is not None:
            self._configure_loss_plots(cls)  # the lines of the run about to start
        self.losses.clear_curves()
        self.metrics.clear_curves()
        for view in self._frame_views.values():
            view.reset_ranges()
        self.timeline.setEnabled(False)
        self.timeline_label.setText("no samples yet")
        self.alarm.clear()
        self.alarm.hide()

    def on_update(self, messages: list):
        """Slot for the worker's batches: just queue; the timer draws (keeps the event loop free)."""
        self._pending.extend(messages)

    def flush(self):
        """Take what has arrived, then draw at most one view: the loss curves, the metric curves or the newest
        sample. Each costs a fast run's window 8–25 ms of painting; drawn in one go they paused it 70–100 ms."""
        if self._pending:
            pending, self._pending = self._pending, []
            self._receive(pending)
        since = time.monotonic() - self._curves_drawn_at
        for panel in (self.losses, self.metrics):
            if panel.has_undrawn or (panel.has_new and (self._finished_undrawn or curves_due(panel, since))):
                self._owed.setdefault(panel)
        if self._owed.keys() & {self.losses, self.metrics}:
            self._curves_drawn_at = time.monotonic()
        self._finished_undrawn = False
        if self.isVisible():  # behind the explorer's tab: drawn when shown, not at the cost of the explorer's renders
            self._draw_one_owed()

    def _receive(self, pending: list) -> None:
        """The messages into the panels and the timeline; nothing is painted here."""
        last_status = None
        snapshots = []
        for m in pending:
            if isinstance(m, StepFigures):
                self.losses.add(m.step, m.losses)
                last_status = m
            elif isinstance(m, LiveMetrics):
                self.metrics.add(m.step, m.values)
            elif isinstance(m, SampleSnapshot):
                snapshots.append(m)
            elif isinstance(m, (PreparationProgress, Finished)):
                last_status = m
                self._finished_undrawn |= isinstance(m, Finished)
            elif isinstance(m, Alarm):
                self.alarm.setText(f"⚠ {m.text}")
                self.alarm.show()
        if snapshots:
            self._add_previews(snapshots)  # all go on the timeline; only the newest is drawn
        if last_status is not None:
            self._show_status(last_status)

    def _draw_one_owed(self) -> None:
        """Curves before samples: they are owed five times a second, samples at every tick."""
        if not self._owed:
            return
        view = next(iter(self._owed))
        if view is self.grid_pane:  # stands for the newest sample, grid or lab frame
            del self._owed[view]
            self._show_preview(len(self.previews) - 1)
        elif not view.redraw():  # True: it made a plot only, and its curves come at the next tick
            del self._owed[view]

    # --- samples and their timeline --------------------------------------------------------------
    def _add_previews(self, snapshots: list) -> None:
        for m in snapshots:
            if self.previews and self.previews[-1][0] == m.step:
                self.previews[-1] = (m.step, m.preview)
            else:
                self.previews.append((m.step, m.preview))
        at_end = self.timeline.value() >= self.timeline.maximum() - 1 or not self.timeline.isEnabled()
        self.timeline.setEnabled(True)
        newest = len(self.previews) - 1
        self.timeline.blockSignals(True)  # one draw, at a tick of its own, not one per snapshot
        self.timeline.setMaximum(newest)
        if at_end:  # follow the newest unless scrubbing back
            self.timeline.setValue(newest)
        self.timeline.blockSignals(False)
        if at_end:
            self._owed.setdefault(self.grid_pane)
        self._label_timeline(self.timeline.value())

    def _show_preview(self, index: int):
        if not 0 <= index < len(self.previews):
            return
        step, preview = self.previews[index]
        if not isinstance(preview, np.ndarray):
            view = self.frame_view(type(preview))
            self.preview_stack.setCurrentWidget(view)
            self.preview_title.setText(view.title)
            view.show_frame(preview)
        else:
            self.preview_stack.setCurrentWidget(self.grid_pane)
            cls = self.family_class()
            self.preview_title.setText(cls.preview_caption if cls is not None else "Samples")
            self.grid_pane.show_image(preview)
        self._label_timeline(index)

    def _label_timeline(self, index: int) -> None:
        step = self.previews[index][0]
        what = "step 0: the untrained generator" if step == 0 else f"snapshot at step {step:,}"
        self.timeline_label.setText(f"{what} ({index + 1}/{len(self.previews)})")

    # the timeline's snapshots under the name they had when they were all image grids
    @property
    def grids(self) -> list:
        return self.previews

    def _show_status(self, u) -> None:
        if isinstance(u, PreparationProgress):
            self.phase.setText(u.text)
            self.progress.setRange(0, 1000)
            self.progress.setValue(int(1000 * u.fraction))
            return
        self.progress.setRange(0, max(u.total_steps, 1))
        self.progress.setValue(u.step)
        if isinstance(u, Finished):
            self.phase.setText(u.text)
            return
        doing = "Discriminator warm-up (generators frozen)" if u.generators_frozen else "Training"
        self.phase.setText(f"{doing}: step {u.step:,} of {u.total_steps:,}")
        remaining = (u.total_steps - u.step) / u.steps_per_s if u.steps_per_s > 0 else float("nan")
        self.rate.setText(f"{u.steps_per_s:.2f} steps/s · elapsed {_clock(u.elapsed_s)} · ETA {_clock(remaining)}")


@dataclass
class _Nothing:
    """A config without fields: the form while a family's module is not imported yet."""


def curves_due(panel, seconds_since_drawn: float) -> bool:
    """Redraw a panel's curves when a redraw would show: five times a second at most, once a second at least,
    and in between only when its new points are a visible share of all."""
    if seconds_since_drawn < CURVES_EVERY_S:
        return False
    return seconds_since_drawn >= CURVES_AT_LEAST_EVERY_S or panel.new_share >= CURVES_VISIBLE_SHARE


def _clock(seconds: float) -> str:
    if not math.isfinite(seconds):
        return "–"
    seconds = int(seconds)
    return f"{seconds // 3600:d}:{seconds // 60 % 60:02d}:{seconds % 60:02d}"


def animation_frames(previews: list[tuple[int, object]]) -> list[np.ndarray]:
    """The timeline's snapshots as pictures: grids as they are, a lab's frames drawn by themselves."""
    return [p if isinstance(p, np.ndarray) else p.picture() for _, p in previews]
