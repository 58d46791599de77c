"""Worker objects living on QThreads. They emit plain data only: no tensors or Keras objects."""
from __future__ import annotations

import traceback
from dataclasses import dataclass
from pathlib import Path

from PySide6.QtCore import QObject, QThread, Signal, Slot

from trainers.errors import UserFacingError


@dataclass(frozen=True)
class TrainingRequest:
    family: str
    run_dir: Path
    steps: int
    batch_size: int = 64
    data: str = "auto"
    resume: bool = False
    grid_every: int = 100
    checkpoint_every: int = 500
    metrics_every: int = 200
    options: tuple = ()  # extra config fields, e.g. (("code_loss", "book"),)


class TrainingWorker(QObject):
    """Runs trainers.loop.Trainer; `control` (thread-safe) pauses, resumes and stops it."""

    update = Signal(object)     # trainers.loop.TrainingUpdate (a frozen dataclass of floats/arrays)
    notice = Signal(str)        # one-line messages for the status bar
    failed = Signal(str)        # one clear sentence for an error dialog
    finished = Signal()

    def __init__(self, request: TrainingRequest):
        super().__init__()
        from trainers.loop import TrainControl

        self.request = request
        self.control = TrainControl()
        self.trainer = None

    @Slot()
    def run(self):
        try:
            self._train()
        except UserFacingError as exc:
            self.failed.emit(str(exc))
        except Exception as exc:  # keep the app alive; the checkpoint on disk is untouched
            traceback.print_exc()
            self.failed.emit(f"Training stopped by an unexpected error: {exc}")
        finally:
            self.finished.emit()

    def _train(self):
        from trainers.data import load_dataset
        from trainers.loop import LoopSettings, Trainer
        from trainers.run import RunDir, RunInfo, build_model

        r = self.request
        run = RunDir(r.run_dir)
        info = run.read_info() if r.resume else RunInfo(r.family, dict(r.options), data=r.data,
                                                         batch_size=r.batch_size)
        dataset = load_dataset(info.data)
        self.notice.emit(dataset.notice())
        train_set, _ = dataset.split()
        model = build_model(info.family, info.config)
        start = run.load_checkpoint(model) if r.resume else 0
        if not r.resume:
            info.config = model.config_dict()
            run.create(info)
        settings = LoopSettings(steps=r.steps, batch_size=info.batch_size, grid_every=r.grid_every,
                                checkpoint_every=r.checkpoint_every, metrics_every=r.metrics_every)
        self.trainer = Trainer(model, train_set, run, settings, metrics_fn=self._metrics(dataset, r.metrics_every))
        self.trainer.run_loop(self.update.emit, self.control, start_step=start)

    def _metrics(self, dataset, every):
        if not every:
            return None
        try:
            from trainers.evaluation import LiveMetrics

            return LiveMetrics(dataset)
        except UserFacingError as exc:
            self.notice.emit(f"Live metrics off: {exc}")
            return None


class BackendWarmup(QObject):
    """Imports TensorFlow off the GUI thread, so the window shows at once and stays responsive."""

    ready = Signal()
    failed = Signal(str)

    @Slot()
    def run(self):
        try:
            import importlib

            for module in ("trainers.families.infogan", "trainers.families.stackedgan"):
                importlib.import_module(module)  # imports keras and tensorflow
            self.ready.emit()
        except Exception as exc:
            self.failed.emit(f"Could not start TensorFlow: {exc}")


def start_in_thread(worker: QObject, parent: QObject) -> QThread:
    """superqt-style wiring: started -> run, finished -> quit -> deleteLater."""
    thread = QThread(parent)
    worker.moveToThread(thread)
    thread.started.connect(worker.run)
    if hasattr(worker, "finished"):
        worker.finished.connect(thread.quit)
    else:
        worker.ready.connect(thread.quit)
        worker.failed.connect(thread.quit)
    thread.finished.connect(thread.deleteLater)
    thread.start()
    return thread
