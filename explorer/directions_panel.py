"""Directions discovered in the open model's noise: a row to ask for them, found on a thread of their own
(measuring takes seconds), and handed to the explorer as sliders named by what they measurably do."""

from __future__ import annotations

from PySide6.QtCore import QObject, Signal, Slot
from PySide6.QtWidgets import QComboBox, QHBoxLayout, QLabel, QProgressBar, QPushButton, QSpinBox, QWidget

from trainers.errors import UserFacingError

METHOD_CHOICES = (("SeFa (weights, seconds)", "sefa"), ("GANSpace (activations)", "ganspace"))


class Cancelled(Exception):
    """The window closed while directions were being measured."""


class DirectionsFinder(QObject):
    """Lives on its own thread: reads the cache, or finds and measures the directions."""

    progress = Signal(int, int)  # (directions measured, of)
    found = Signal(object, object, str, int, bool)  # (model, directions, method, k, read from the cache only)
    said = Signal(str)  # one line: a cache refused, a judge missing, a failure

    def __init__(self):
        super().__init__()
        self._cancelled = False  # set from the GUI thread when the window closes

    def cancel(self) -> None:
        self._cancelled = True

    def _progress(self, done: int, total: int) -> None:
        if self._cancelled:
            raise Cancelled
        self.progress.emit(done, total)

    @Slot(object, object, str, int, bool)
    def find(self, model, folder, method: str, k: int, cached_only: bool) -> None:
        from trainers.directions import cached_directions, directions_for
        from trainers.run import in_float32

        try:
            if cached_only:
                directions = cached_directions(model, folder, method, k, say=self.said.emit)
            else:  # measured in float32, as `gan-explorer directions` measures them (the window may draw in bfloat16)
                measured = in_float32(model)
                directions = directions_for(measured, folder, method, k, say=self.said.emit, progress=self._progress)
        except Cancelled:
            return
        except UserFacingError as exc:
            self.said.emit(str(exc))
        except Exception as exc:  # a slot's exception would vanish and leave the panel busy
            self.said.emit(f"Could not find directions: {exc}")
        else:
            if directions is not None:
                self.found.emit(model, directions, method, k, cached_only)
            elif cached_only:
                self.said.emit("")  # nothing cached: the button offers to find them


class DirectionsPanel(QWidget):
    """Method, K, a button and a progress bar; what the finder says goes in the label."""

    requested = Signal(str, int)  # (method, k)

    def __init__(self, parent=None):
        super().__init__(parent)
        self.method = QComboBox()
        for text, value in METHOD_CHOICES:
            self.method.addItem(text, value)
        self.k = QSpinBox(minimum=1, maximum=32, value=8)
        self.k.setPrefix("K ")
        self.button = QPushButton("Find directions (D)")
        self.button.clicked.connect(self._request)
        self.bar = QProgressBar()
        self.bar.setMaximumWidth(120)
        self.bar.hide()
        self.note = QLabel("")
        self.note.setWordWrap(True)
        row = QHBoxLayout(self)
        row.setContentsMargins(0, 0, 0, 0)
        row.addWidget(QLabel("Directions"))
        row.addWidget(self.method)
        row.addWidget(self.k)
        row.addWidget(self.button)
        row.addWidget(self.bar)
        row.addWidget(self.note, 1)

    @property
    def settings(self) -> tuple[str, int]:
        return self.method.currentData(), self.k.value()

    def _request(self) -> None:
        self.busy()
        self.requested.emit(*self.settings)

    def busy(self) -> None:
        self.button.setEnabled(False)
        self.bar.setRange(0, 0)  # until the first direction is measured
        self.bar.show()
        self.note.setText("finding and measuring…")

    def show_progress(self, done: int, total: int) -> None:
        self.bar.setRange(0, total)
        self.bar.setValue(done)

    def idle(self, note: str, cached: bool = False) -> None:
        """Ready; `cached`: directions of this model are cached, so the button shows them at once."""
        self.button.setEnabled(True)
        self.button.setText("Show directions (D)" if cached else "Find directions (D)")
        self.bar.hide()
        self.note.setText(note)
