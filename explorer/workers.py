"""Worker objects living on QThreads. They emit plain data only: no tensors or Keras objects."""
from __future__ import annotations

import traceback

from PySide6.QtCore import QObject, QThread, Signal, Slot

from trainers.session import TrainingProcess, TrainingRequest


class TrainingWorker(QObject):
    """Bridges a training process (trainers.session) to the window: relays its messages as
    signals from this QThread. `control` pauses, resumes and stops it across the process boundary."""

    update = Signal(object)     # trainers.loop.TrainingUpdate (a frozen dataclass of floats/arrays)
    notice = Signal(str)        # one-line messages for the status bar
    failed = Signal(str)        # one clear sentence for an error dialog
    finished = Signal()

    def __init__(self, request: TrainingRequest):
        super().__init__()
        self.request = request
        self.process = TrainingProcess(request)
        self.control = self.process.control

    @Slot()
    def run(self):
        try:
            self.process.start()
            for kind, payload in self.process.messages():
                getattr(self, kind).emit(payload)
        except Exception as exc:  # e.g. the process could not be started
            traceback.print_exc()
            self.failed.emit(f"Could not run training: {exc}")
        finally:
            self.finished.emit()

    def kill(self) -> None:
        self.process.terminate()


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
