"""The main window: explorer and training views, menus, shortcuts, recent runs, safe closing."""

from __future__ import annotations

import functools
import time
from pathlib import Path

from PySide6.QtCore import QSettings, QThread, QThreadPool, QTimer, Signal
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QFileDialog, QInputDialog, QMainWindow, QMessageBox, QTabWidget
from superqt.utils import create_worker

from explorer.explorer_view import ExplorerView
from explorer.gc_policy import GuiThreadCollector, keep_imports_out_of_collections
from explorer.training_view import TrainingView
from explorer.workers import TrainingWorker, load_backends, start_in_thread
from trainers.data import KINDS
from trainers.errors import UserFacingError
from trainers.families import FAMILIES, family_entry
from trainers.paths import SHIPPED_MODELS
from trainers.run import MODEL_FILE, checked_model_meta, family_of, read_json
from trainers.updates import GeneratorSnapshot

RUNS_HOME = Path.home() / "GANLatentExplorer" / "runs"
MAX_RECENT = 8
REMEMBER_AFTER_MS = 1000  # an opened model joins the recent runs once it is drawn
CLOSE_TIMEOUT_MS = 2100  # the training process finishes its step and writes a checkpoint (all waits: < 3 s)
LET_GO_TIMEOUT_MS = 500  # the reading thread sees the process let go within a poll
POOL_WAIT_MS = 300  # a task of Qt's pool about to end; a TensorFlow import under way is left (explorer/app.py)


@functools.cache
def _shipped_models_folder() -> Path:
    return SHIPPED_MODELS.resolve()


def short_location(path: Path) -> str:
    """Where a model lives, as a person reads it: "shipped model", a path from home, or the path."""
    path = Path(path).resolve()
    if path.parent == _shipped_models_folder():
        return "shipped model"
    try:
        return "~/" + str(path.relative_to(Path.home()))
    except ValueError:
        return str(path)


def model_name(model) -> str:
    """How the model says it differs from others of its family, e.g. "… (Fashion-MNIST)" or "…, sketch → photo"
    (two shipped models of one family read alike otherwise)."""
    return getattr(model, "display_name", model.title)


def fine_tune_source_or_none(path: Path):
    from trainers.run import fine_tune_source

    try:
        return fine_tune_source(path)
    except UserFacingError:
        return None  # e.g. generators whose family needs its discriminators to fine-tune: nothing to offer


class MainWindow(QMainWindow):
    model_loaded = Signal(str)  # title of the model now in the explorer
    training_batch = Signal(object)  # each batch of training messages, emitted on this (the window's) thread

    def __init__(self, open_path: Path | None = None, runs_home: Path = RUNS_HOME):
        super().__init__()
        self.setWindowTitle("GAN Latent Explorer")
        self._collector = GuiThreadCollector(self)  # before any thread of this window runs Python
        self.resize(1280, 820)
        self.settings = QSettings("GANLatentExplorer", "GANLatentExplorer")
        self.runs_home = runs_home
        self.backend_ready = False
        self._queued_open: Path | None = open_path or self.default_model()
        self.worker: TrainingWorker | None = None
        self._wants_snapshot = False  # F6 asked for the generator as it is now: take the user to it
        self.thread: QThread | None = None
        self.error_box: QMessageBox | None = None
        self.explorer = ExplorerView()
        self.explorer.strip_export_requested.connect(self.export_named_strip)
        self.explorer.model_opened.connect(self._on_model_opened)
        self.explorer.open_failed.connect(self._on_open_failed)
        self.explorer.said.connect(lambda line: self.statusBar().showMessage(line, 8000))
        self._opening: Path | None = None
        self._show_when_open = True
        self.training = TrainingView()
        self.tabs = QTabWidget()
        self.tabs.addTab(self.explorer, "Explore")
        self.tabs.addTab(self.training, "Train")
        self.setCentralWidget(self.tabs)
        if self._queued_open is None:
            self.tabs.setCurrentWidget(self.training)
        self._connect_training()
        self._build_menus()
        self.statusBar().showMessage("Starting TensorFlow in the background…")
        # superqt's worker on Qt's thread pool: the import runs off the GUI thread, its end comes back as a signal
        self._loaded_families: set[str] = set()
        first = family_of(self._queued_open) if self._queued_open is not None else None
        if first is not None:
            self.explorer.show_waiting(
                f"Opening {family_entry(first).title} — {short_location(self._queued_open)}…",
                "The generator draws here as soon as TensorFlow has started in the background (a few seconds).",
            )
        self._warmup = create_worker(load_backends, first, _start_thread=False)
        self._warmup.yielded.connect(self._on_family_loaded)
        self._warmup.returned.connect(self._on_backend_ready)
        self._warmup.errored.connect(self._on_backend_failed)
        self._warmup.finished.connect(self._collector.imports_done)
        self._collector.hold_while_importing()
        self._warmup.start()

    def _on_backend_failed(self, exc: BaseException):
        self.show_error(f"Could not start TensorFlow: {exc}")

    @staticmethod
    def shipped_models() -> list[tuple[str, Path]]:
        """(title, folder) of every shipped model, in the registry's order; the title names the data set where a
        model learnt other images than MNIST (e.g. "… (Fashion-MNIST)")."""
        order = {entry.name: i for i, entry in enumerate(FAMILIES)}
        found = []
        for folder in sorted(SHIPPED_MODELS.iterdir()):
            try:
                family, config = checked_model_meta(read_json(folder / MODEL_FILE), folder / MODEL_FILE)
            except UserFacingError:
                continue  # not a model folder (the judges), or a damaged one: not offered
            kind = KINDS.get(config.get("dataset", "mnist"), KINDS["mnist"])
            title = family_entry(family).title + ("" if kind.name == "mnist" else f" ({kind.title})")
            found.append((order[family], folder.name, title, folder))
        titles = [title for *_, title, _ in found]
        return [
            (title if titles.count(title) == 1 else f"{title} ({folder.name})", folder)  # a family's several models
            for _, _, title, folder in sorted(found)
        ]

    @classmethod
    def default_model(cls) -> Path | None:
        shipped = cls.shipped_models()
        return shipped[0][1] if shipped else None

    # --- menus and shortcuts --------------------------------------------------------------
    def _action(self, menu, text, slot, shortcut=None) -> QAction:
        action = QAction(text, self)
        if shortcut:
            action.setShortcut(QKeySequence(shortcut))
        action.triggered.connect(slot)
        menu.addAction(action)
        if shortcut:
            self.addAction(action)  # shortcuts work whichever tab has focus
        return action

    def _build_menus(self):
        file_menu = self.menuBar().addMenu("&File")
        self._action(file_menu, "&Open run or model…", self.choose_and_open, QKeySequence.StandardKey.Open)
        shipped = file_menu.addMenu("Open shipped model")
        for title, folder in self.shipped_models():
            self._action(shipped, title, lambda _=False, p=folder: self.open_path(p))
        self.recent_menu = file_menu.addMenu("Open &recent")
        self.recent_menu.aboutToShow.connect(self._fill_recent)  # filled when opened, not at every model open
        self._action(file_menu, "&Save checkpoint", self.save_checkpoint, QKeySequence.StandardKey.Save)
        file_menu.addSeparator()
        self._action(file_menu, "&Export image…", self.export_image, "Ctrl+E")
        self._action(file_menu, "Export &strip…", lambda: self.export_strip(gif=False), "Ctrl+Shift+E")
        self._action(file_menu, "Export strip as &GIF or MP4…", lambda: self.export_strip(gif=True), "Ctrl+G")
        file_menu.addSeparator()
        self._action(file_menu, "&Quit", self.close, QKeySequence.StandardKey.Quit)
        train_menu = self.menuBar().addMenu("&Training")
        self._action(train_menu, "Start / Pause / Resume", self.start_or_pause, "F5")
        self._action(train_menu, "Single step (while paused)", self.single_step, "F7")
        self._action(train_menu, "Step D alone (while paused)", lambda: self.part_step("discriminator"), "F8")
        self._action(train_menu, "Step G alone (while paused)", lambda: self.part_step("generator"), "F9")
        self._action(train_menu, "Stop", self.stop_training, "Shift+F5")
        self._action(train_menu, "Resume a saved run…", self.choose_and_resume, "Ctrl+Shift+R")
        self._action(train_menu, "Explore current generator", self.explore_current, "F6")
        self._action(train_menu, "Export the run's animation…", self.export_animation, "Ctrl+Shift+G")
        view_menu = self.menuBar().addMenu("&Explore")
        self._action(view_menu, "Next class (digit)", lambda: self.explorer.step_class(1), "Ctrl+Right")
        self._action(view_menu, "Previous class (digit)", lambda: self.explorer.step_class(-1), "Ctrl+Left")
        self._action(view_menu, "Resample noise", self.explorer.resample, "R")
        self._action(view_menu, "Find directions in the noise", lambda: self.explorer.find_directions(), "D")
        self._action(view_menu, "Pin this sample (interpolation start)", self.explorer.pin_sample, "P")

    def _fill_recent(self):
        self.recent_menu.clear()  # deletes the actions it owns
        for path in self.recent_runs():
            self.recent_menu.addAction(path).triggered.connect(lambda _=False, p=path: self.open_path(Path(p)))

    def recent_runs(self) -> list[str]:
        value = self.settings.value("recent_runs", [])
        return [value] if isinstance(value, str) else list(value or [])

    def _remember(self, path: Path):
        runs = [str(path)] + [p for p in self.recent_runs() if p != str(path)]
        self.settings.setValue("recent_runs", runs[:MAX_RECENT])

    # --- models -----------------------------------------------------------------------------
    def _on_family_loaded(self, family: str):
        if family_entry(family).needs_tensorflow:
            keep_imports_out_of_collections("tensorflow")  # TensorFlow and Keras are in; no model is built yet
        self._loaded_families.add(family)
        if self._queued_open is not None and family_of(self._queued_open) == family:
            path, self._queued_open = self._queued_open, None
            self.open_path(path, show=False)  # opened at start-up: the tab the user is on stays

    def _on_backend_ready(self, _result=None):
        keep_imports_out_of_collections("every family")
        self.backend_ready = True
        self.training.set_backend_ready()
        self.statusBar().showMessage("TensorFlow ready.", 3000)
        if self._queued_open is not None:
            path, self._queued_open = self._queued_open, None
            self.open_path(path, show=False)  # opened at start-up: the tab the user is on stays

    def choose_and_open(self):
        path = QFileDialog.getExistingDirectory(self, "Open a run directory or exported model", str(self.runs_home))
        if path:
            self.open_path(Path(path))

    def open_path(self, path: Path, show: bool = True) -> bool:
        """Start opening `path` (read off the GUI thread); `model_loaded` fires once it is shown.
        False when it waits for TensorFlow's start (it opens then)."""
        if not self.backend_ready and family_of(path) not in self._loaded_families:
            self._queued_open = path
            return False
        self._opening = Path(path)
        self._show_when_open = show
        self.explorer.open_in_background(self._opening)
        self.statusBar().showMessage(f"Opening {path}…")
        return True

    def _on_model_opened(self, model, path: str):
        path = Path(path)
        if path != self._opening:
            return  # the user asked for another model meanwhile
        name, where = model_name(model), short_location(path)
        title = f"{name} — {where}"
        self.explorer.set_model(model, title, folder=path)
        self.explorer.title.setToolTip(str(path.resolve()))
        self.training.offer_fine_tune(fine_tune_source_or_none(path), name)
        if self._show_when_open:
            self.tabs.setCurrentWidget(self.explorer)
        # written once the new model is on screen: QSettings writes its file from the event loop (~7 ms)
        QTimer.singleShot(REMEMBER_AFTER_MS, self, lambda: self._remember(path))
        self.statusBar().showMessage(f"Opened {name} ({where})", 5000)
        self.model_loaded.emit(title)

    def _on_open_failed(self, path: str, message: str):
        if Path(path) == self._opening:
            self.show_error(message)

    # --- training -----------------------------------------------------------------------------
    def _connect_training(self):
        t = self.training
        t.start_requested.connect(self.start_training)
        t.pause_toggled.connect(self.toggle_pause)
        t.stop_requested.connect(self.stop_training)
        t.single_step_requested.connect(self.single_step)
        t.part_step_requested.connect(self.part_step)
        t.pace_changed.connect(self.set_pace)
        t.settings_changed.connect(self.change_settings)
        t.export_animation_requested.connect(self.export_animation)
        t.save_requested.connect(self.save_checkpoint)
        t.explore_requested.connect(self.explore_current)

    @property
    def training_active(self) -> bool:
        return self.worker is not None

    def start_or_pause(self):
        self.toggle_pause() if self.training_active else self.start_training()

    def start_training(self, run_dir: Path | None = None, resume: bool = False):
        if self.training_active:
            return
        t = self.training
        run_dir = run_dir or self.runs_home / f"{t.family_name}-{time.strftime('%Y%m%d-%H%M%S')}"
        try:
            request = t.request(Path(run_dir), resume)
        except UserFacingError as exc:
            self.show_error(str(exc))
            return
        self.worker = TrainingWorker(request)
        self.worker.updates_ready.connect(self._take_updates)
        self.worker.notice.connect(self._show_notice)
        self.worker.failed.connect(self.show_error)
        self.worker.finished.connect(self._on_training_finished)
        t.reset()
        t.set_running(True)
        self.tabs.setCurrentWidget(t)
        self.worker.control.set_pace(t.pace)
        self.thread = start_in_thread(self.worker, self)
        self.thread.finished.connect(self._forget_training_thread)
        self.statusBar().showMessage(f"Training {t.family.currentText()} into {run_dir}")

    def choose_and_resume(self):
        path = QFileDialog.getExistingDirectory(self, "Resume which run?", str(self.runs_home))
        if path:
            self.resume_training(Path(path))

    def resume_training(self, run_dir: Path):
        """Continue a run to the step count in the Steps box, with its own model and data."""
        from trainers.run import RunDir

        try:
            info = RunDir(run_dir).read_info()
        except UserFacingError as exc:
            self.show_error(str(exc))
            return
        self.training.select_family(info.family)
        self.training.settings.set_values(info.config)  # the run's own, changed live or on an earlier resume
        self.training.steps.setValue(max(self.training.steps.value(), info.step + 1))
        self.start_training(run_dir, resume=True)

    def toggle_pause(self):
        if not self.training_active:
            return
        control = self.worker.control
        control.resume() if control.paused else control.pause()
        self.training.set_running(True, paused=control.paused)
        self.statusBar().showMessage("Paused" if control.paused else "Resumed", 3000)

    def single_step(self):
        if self.training_active and self.worker.control.paused:
            self.worker.control.request_single_step()

    def part_step(self, part: str):
        """Step D / step G: one network alone, while paused, for the families that can."""
        if self.training_active and self.worker.control.paused:
            self.worker.control.request_part_step(part)

    def change_settings(self, changes: dict):
        """Live settings (the family's live_settings), taken by the run before its next step."""
        if self.training_active:
            self.worker.control.change_settings(changes)

    def set_pace(self, steps_per_second: float):
        if self.training_active:
            self.worker.control.set_pace(steps_per_second)

    def export_animation(self):
        """Every sample snapshot of the run in the Train tab, as a GIF (or MP4 where ffmpeg ships)."""
        from explorer.training_view import animation_frames
        from trainers.images import mp4_available, save_animation

        if not self.training.previews:
            self.statusBar().showMessage("No sample snapshots yet: start a run first.", 5000)
            return
        filters = "Animated GIF (*.gif)" + (";;MP4 video (*.mp4)" if mp4_available() else "")
        path, chosen = QFileDialog.getSaveFileName(self, "Export the run's animation", "training.gif", filters)
        if not path:
            return
        if Path(path).suffix.lower() not in (".gif", ".mp4"):
            path += ".mp4" if "mp4" in chosen else ".gif"
        try:
            save_animation(Path(path), animation_frames(self.training.previews))
        except (UserFacingError, OSError) as exc:
            self.show_error(f"Could not write {path}: {exc}")
            return
        self.statusBar().showMessage(f"Wrote {path} ({len(self.training.previews)} frames)", 5000)

    def stop_training(self):
        if self.training_active:
            self.worker.control.stop()
            self.statusBar().showMessage("Stopping after the current step…")

    def save_checkpoint(self):
        if self.training_active:
            self.worker.control.request_checkpoint()
        else:
            self.statusBar().showMessage("Nothing is training: runs are checkpointed as they train.", 5000)

    def explore_current(self):
        if self.training_active:
            self._wants_snapshot = True
            self.worker.control.request_snapshot()
            self.statusBar().showMessage("Taking the generator as it is now…", 3000)

    def _take_updates(self):
        worker = self.sender()  # the worker that signalled, even if a newer run has started since
        for batch in worker.take_updates() if isinstance(worker, TrainingWorker) else []:
            self.training_batch.emit(batch)
            self._on_update(batch)

    def _on_update(self, messages: list):
        generators = [m for m in messages if isinstance(m, GeneratorSnapshot)]
        self.training.on_update([m for m in messages if not isinstance(m, GeneratorSnapshot)])
        if generators:
            # a fast run's first frames can share a batch with its final generator: draw them first,
            # since whether the run plays as a live lab is known only once they are on the timeline
            self.training.flush()
        for message in generators:
            # asked for (F6), or the run's final generator: a lab that plays live keeps its tab at the end
            switch = self._wants_snapshot or not self.training.is_live_lab
            self._wants_snapshot = False
            self._explore_snapshot(message, switch)

    def _explore_snapshot(self, snapshot: GeneratorSnapshot, switch_tab: bool = True):
        self.explorer.show_weights(
            snapshot.family, snapshot.config, snapshot.arrays, f"training run at step {snapshot.step:,}"
        )
        if switch_tab:
            self.tabs.setCurrentWidget(self.explorer)

    def _forget_training_thread(self):
        self.thread = None

    def _on_training_finished(self):
        run_dir = self.worker.request.run_dir if self.worker else None
        self.worker = None
        self.training.set_running(False)
        if run_dir and (run_dir / "run.json").is_file():
            self._remember(run_dir)

    def _show_notice(self, text: str):
        self.statusBar().showMessage(text, 8000)

    def show_error(self, message: str):
        self.statusBar().showMessage(message)
        self.error_box = QMessageBox(
            QMessageBox.Icon.Warning, "GAN Latent Explorer", message, QMessageBox.StandardButton.Ok, self
        )
        self.error_box.open()  # not modal-blocking: training and tests keep running

    # --- export -----------------------------------------------------------------------------
    def export_image(self):
        if self.explorer.model is None:
            return
        path, _ = QFileDialog.getSaveFileName(self, "Export image", "generated.png", "PNG (*.png)")
        if path:
            self.explorer.export_image(Path(path))
            self.statusBar().showMessage(f"Wrote {path}", 5000)

    def export_strip(self, gif: bool):
        """Export a traversal strip; with several, ask which (right-click a strip to skip the question)."""
        names = list(self.explorer.strip_images)
        if self.explorer.model is None or not names:
            return
        name = names[0]
        if len(names) > 1:
            name, ok = QInputDialog.getItem(self, "Export a strip", "Which traversal?", names, 0, False)
            if not ok:
                return
        self.export_named_strip(name, gif)

    def export_named_strip(self, name: str, gif: bool):
        """A strip as a PNG, or as an animation (GIF or MP4, by the chosen file's suffix)."""
        kinds = "GIF (*.gif);;MP4 (*.mp4)" if gif else "PNG (*.png)"
        path, _ = QFileDialog.getSaveFileName(
            self, f"Export the {name} strip", f"{name}.{'gif' if gif else 'png'}", kinds
        )
        if not path:
            return
        try:
            (self.explorer.export_gif if gif else self.explorer.export_strip)(name, Path(path))
        except UserFacingError as exc:
            self.statusBar().showMessage(str(exc), 10000)
        except OSError as exc:
            self.statusBar().showMessage(f"Could not write {path}: {exc.strerror or exc}; try another folder.", 10000)
        else:
            self.statusBar().showMessage(f"Wrote {path}", 5000)

    # --- closing ------------------------------------------------------------------------------
    def closeEvent(self, event):
        """Stop training, let the loop write its checkpoint, then close (within ~3 s)."""
        self.explorer.stop_threads()  # their last task ends meanwhile: the waits below overlap, not add up
        if self.worker is not None:
            self.hide()  # gone at once for the user, while the run finishes its step
            self.worker.control.stop()
            if not self.worker.control.writing:  # still importing, loading or building: nothing to finish
                self.worker.kill()
        if self.thread is not None:
            self.thread.quit()  # its event loop ends as soon as the worker returns
        if self.thread is not None and not self.thread.wait(CLOSE_TIMEOUT_MS) and self.worker is not None:
            self.worker.let_finish_alone()  # a loaded machine: its step and checkpoint are written after we leave
            self.thread.wait(LET_GO_TIMEOUT_MS)
        QThreadPool.globalInstance().waitForDone(POOL_WAIT_MS)  # the app leaves without a TensorFlow import
        self.explorer.shutdown()
        self._collector.release()  # every thread of this window has stopped
        event.accept()
