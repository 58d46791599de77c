"""Worker objects living on QThreads. They emit plain data only: no tensors or Keras objects."""

from __future__ import annotations

import importlib
import queue
import traceback

from PySide6.QtCore import QObject, QThread, Signal, Slot

from trainers.session import TrainingProcess, TrainingRequest
from trainers.updates import Failed, Notice

# What the explorer measures with once a model is open (directions, their names): scipy and scikit-image,
# ~450 modules. Imported with the backends, they are frozen out of the GUI thread's collections with them;
# imported later, every collection of the older generations passed over them (30-60 ms, while a run trained).
MEASURING_MODULES = ("trainers.metrics", "trainers.directions")


class TrainingWorker(QObject):
    """Bridges a training process (trainers.session) to the window from this QThread. Its batches of
    messages wait in a queue and `updates_ready` (no payload) tells the window to `take_updates()`: no
    Python object rides a cross-thread signal, the path on which PySide has crashed (DESIGN.md).
    `control` pauses, resumes and stops the process across the process boundary."""

    updates_ready = Signal()  # take_updates() has batches of trainers.updates messages (plain data)
    notice = Signal(str)  # one-line messages for the status bar
    failed = Signal(str)  # one clear sentence for an error dialog
    finished = Signal()

    def __init__(self, request: TrainingRequest):
        super().__init__()
        self.request = request
        self.process = TrainingProcess(request)
        self.control = self.process.control
        self._batches: queue.SimpleQueue[list] = queue.SimpleQueue()

    def take_updates(self) -> list[list]:
        """Every batch relayed so far, oldest first (called on the window's thread)."""
        batches = []
        while True:
            try:
                batches.append(self._batches.get_nowait())
            except queue.Empty:
                return batches

    @Slot()
    def run(self):
        try:
            self.process.start()
            for batch in self.process.messages():
                self._relay(batch)
        except Exception as exc:  # e.g. the process could not be started
            traceback.print_exc()
            self.failed.emit(f"Could not run training: {exc}")
        finally:
            self.finished.emit()

    def _relay(self, batch: list) -> None:
        """One signal per batch (a fast family sends hundreds of steps a second); lines on their own, after
        the updates sent before them (a "Paused at step N" comes after step N's frame)."""
        rest = []
        for message in batch:
            if isinstance(message, (Failed, Notice)):
                self._hand_over(rest)
                rest = []
                (self.failed if isinstance(message, Failed) else self.notice).emit(message.text)
            else:
                rest.append(message)
        self._hand_over(rest)

    def _hand_over(self, updates: list) -> None:
        if updates:
            self._batches.put(updates)
            self.updates_ready.emit()

    def kill(self) -> None:
        self.process.terminate()

    def let_finish_alone(self) -> None:
        """The window is closing: the process finishes its step and checkpoint without it."""
        self.process.let_finish_alone()


def load_backends(first: str | None = None):
    """Import every family's module (TensorFlow and Keras for those that use them), `first` first, yielding
    each family's name once it can build models; run off the GUI thread, so the window shows at once and
    stays responsive, and the model it opens on is drawn before the other families have loaded."""
    from trainers.families import FAMILIES

    for entry in sorted(FAMILIES, key=lambda entry: entry.name != first):
        entry.load()
        yield entry.name
    for module in MEASURING_MODULES:
        importlib.import_module(module)


def start_in_thread(worker: QObject, parent: QObject) -> QThread:
    """superqt-style wiring: started -> run, finished -> quit -> deleteLater."""
    thread = QThread(parent)
    worker.moveToThread(thread)
    thread.started.connect(worker.run)
    worker.finished.connect(thread.quit)
    thread.finished.connect(thread.deleteLater)
    thread.start()
    return thread
