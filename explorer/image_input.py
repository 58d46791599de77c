"""The explorer's widget for an image control (trainers.latent.ImageControl): the image a model translates,
chosen from the model's held-out examples, loaded from a file, or drawn on a canvas with pen, eraser, clear
and undo. Every stroke asks for a new output at once, so the output follows the pen."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from PySide6.QtCore import QPointF, QRectF, Qt, Signal
from PySide6.QtGui import QImage, QKeySequence, QPainter, QPen, QShortcut
from PySide6.QtWidgets import (
    QButtonGroup,
    QFileDialog,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)
from superqt import QLabeledSlider

from trainers.errors import UserFacingError

UNDO_DEPTH = 50
CANVAS_PIXELS = 224  # on screen: a 32×32 input at 7 screen pixels per pixel


def as_qimage(pixels: np.ndarray) -> QImage:
    """float [0, 1] (H, W) -> an 8-bit grey QImage owning its bytes."""
    data = np.ascontiguousarray(np.rint(np.clip(pixels, 0, 1) * 255).astype(np.uint8))
    h, w = data.shape
    return QImage(data.data, w, h, w, QImage.Format.Format_Grayscale8).copy()


def from_qimage(image: QImage) -> np.ndarray:
    """An 8-bit grey QImage -> float32 (H, W) in [0, 1] (rows are padded to 4 bytes in a QImage)."""
    h, w, stride = image.height(), image.width(), image.bytesPerLine()
    raw = np.frombuffer(image.constBits(), np.uint8, count=h * stride).reshape(h, stride)[:, :w]
    return raw.astype(np.float32) / 255.0


class Canvas(QWidget):
    """A grey image, magnified; the left button draws with the pen (bright) or the eraser (dark)."""

    stroked = Signal()  # the pixels changed under the pen (once per mouse event)

    def __init__(self, height: int, width: int, parent=None):
        super().__init__(parent)
        self.image = QImage(width, height, QImage.Format.Format_Grayscale8)
        self.image.fill(0)
        self.pen_width = 1.0  # the sketches' lines are one pixel wide
        self.erasing = False
        self._last: QPointF | None = None
        self._undo: list[QImage] = []
        self.setFixedSize(CANVAS_PIXELS, round(CANVAS_PIXELS * height / width))
        self.setCursor(Qt.CursorShape.CrossCursor)
        self.setFocusPolicy(Qt.FocusPolicy.ClickFocus)  # drawing puts the keys (B, E, Ctrl+Z) on the panel
        self.setToolTip("Draw with the left button; Ctrl+Z undoes a stroke")

    # --- pixels ---------------------------------------------------------------------------
    def pixels(self) -> np.ndarray:
        return from_qimage(self.image)

    def set_pixels(self, pixels: np.ndarray, undoable: bool = True) -> None:
        if undoable:
            self._remember()
        self.image = as_qimage(pixels)
        self.update()

    def clear(self) -> None:
        self._remember()
        self.image.fill(0)
        self.update()
        self.stroked.emit()

    def undo(self) -> bool:
        if not self._undo:
            return False
        self.image = self._undo.pop()
        self.update()
        self.stroked.emit()
        return True

    @property
    def can_undo(self) -> bool:
        return bool(self._undo)

    def _remember(self) -> None:
        self._undo.append(self.image.copy())
        del self._undo[:-UNDO_DEPTH]

    # --- the pen -----------------------------------------------------------------------------
    def _to_image(self, position: QPointF) -> QPointF:
        return QPointF(
            position.x() * self.image.width() / self.width(), position.y() * self.image.height() / self.height()
        )

    def _draw_to(self, point: QPointF) -> None:
        painter = QPainter(self.image)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing, False)  # crisp lines, as the sketches are
        colour = Qt.GlobalColor.black if self.erasing else Qt.GlobalColor.white
        width = self.pen_width * (3 if self.erasing else 1)
        painter.setPen(QPen(colour, width, Qt.PenStyle.SolidLine, Qt.PenCapStyle.RoundCap, Qt.PenJoinStyle.RoundJoin))
        if self._last is None:  # a click alone leaves a dot
            painter.drawPoint(point)
        else:
            painter.drawLine(self._last, point)
        painter.end()
        self._last = point
        self.update()
        self.stroked.emit()

    def mousePressEvent(self, event):
        if event.button() == Qt.MouseButton.LeftButton:
            self._remember()
            self._last = None
            self._draw_to(self._to_image(event.position()))

    def mouseMoveEvent(self, event):
        if event.buttons() & Qt.MouseButton.LeftButton:
            self._draw_to(self._to_image(event.position()))

    def mouseReleaseEvent(self, event):
        self._last = None

    def paintEvent(self, event):
        painter = QPainter(self)
        painter.drawImage(QRectF(self.rect()), self.image)  # nearest-neighbour: each pixel a square
        painter.setPen(QPen(Qt.GlobalColor.darkGray))
        painter.drawRect(self.rect().adjusted(0, 0, -1, -1))
        painter.end()


class ImageInputPanel(QWidget):
    """The input image of a translation model: held-out examples (a slider), a file, or the canvas."""

    valueChanged = Signal(object)  # the input changed: its pixels
    example_chosen = Signal(int)  # an example was picked: its class (the class control may follow it)
    said = Signal(str)  # one line for the status bar (a file converted, one that could not be read)

    def __init__(self, control, parent=None):
        super().__init__(parent)
        self.control = control
        self.canvas = Canvas(control.height, control.width)
        self.canvas.stroked.connect(self._on_stroke)
        self.target_view = Canvas(control.height, control.width)  # read only: the real target of an example
        self.target_view.setEnabled(False)
        self.target_caption = QLabel("real target")
        self.examples: dict[str, np.ndarray] | None = None
        self._from_example: int | None = None  # the example the canvas shows unchanged, if any
        self.example = QLabeledSlider(Qt.Orientation.Horizontal)
        self.example.setToolTip("a held-out pair the model never trained on")
        self.example.valueChanged.connect(self.show_example)
        self.pen, self.eraser = QPushButton("Pen (B)"), QPushButton("Eraser (E)")
        tools = QButtonGroup(self)
        for button in (self.pen, self.eraser):
            button.setCheckable(True)
            tools.addButton(button)
        self.pen.setChecked(True)
        self.pen.toggled.connect(lambda on: setattr(self.canvas, "erasing", not on))
        self.width_box = QSpinBox(minimum=1, maximum=4, value=1, suffix=" px", toolTip="pen width")
        self.width_box.valueChanged.connect(lambda w: setattr(self.canvas, "pen_width", float(w)))
        clear, undo, load = QPushButton("Clear"), QPushButton("Undo (Ctrl+Z)"), QPushButton("Load image…")
        clear.clicked.connect(self.canvas.clear)
        undo.clicked.connect(self.canvas.undo)
        load.clicked.connect(self.choose_file)
        for keys, slot in (("Ctrl+Z", self.canvas.undo), ("B", self.pen.click), ("E", self.eraser.click)):
            QShortcut(QKeySequence(keys), self, slot, context=Qt.ShortcutContext.WidgetWithChildrenShortcut)
        self._build_layout(clear, undo, load)

    def _build_layout(self, clear, undo, load) -> None:
        pictures = QGridLayout()
        pictures.addWidget(QLabel(f"{self.control.label} (draw here)"), 0, 0)
        pictures.addWidget(self.target_caption, 0, 1)
        pictures.addWidget(self.canvas, 1, 0)
        pictures.addWidget(self.target_view, 1, 1)
        tools = QHBoxLayout()
        for widget in (self.pen, self.eraser, self.width_box, undo, clear, load):
            tools.addWidget(widget)
        examples = QHBoxLayout()
        examples.addWidget(QLabel("held-out example"))
        examples.addWidget(self.example, 1)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addLayout(pictures)
        layout.addLayout(tools)
        layout.addLayout(examples)

    # --- what the model reads ---------------------------------------------------------------
    def value(self) -> np.ndarray:
        return self.canvas.pixels()

    def setValue(self, pixels) -> None:
        pixels = np.asarray(pixels, np.float32)
        if pixels.ndim == 2:
            self.canvas.set_pixels(pixels)
            self._shows_example(None)

    # --- examples -------------------------------------------------------------------------------
    def set_examples(self, examples: dict[str, np.ndarray] | None) -> None:
        """The model's held-out inputs and targets (GanFamily.example_latents); the first is shown."""
        self.examples = examples
        count = 0 if examples is None else len(examples[self.control.name])
        self.example.setEnabled(count > 0)
        self.example.blockSignals(True)
        self.example.setRange(0, max(count - 1, 0))
        self.example.setValue(0)
        self.example.blockSignals(False)
        if count:
            self.show_example(0, emit=False)
        else:
            self._shows_example(None)

    def show_example(self, index: int, emit: bool = True) -> None:
        """Example `index` on the canvas; `emit` (the user's pick, undoable) asks for a redraw too."""
        if self.examples is None:
            return
        self.canvas.set_pixels(self.examples[self.control.name][index], undoable=emit)
        self._shows_example(index)
        classes = self.examples.get("class", self.examples.get("true_class"))
        if classes is not None:
            self.example_chosen.emit(int(classes[index]))
        if emit:
            self.valueChanged.emit(self.value())

    def _shows_example(self, index: int | None) -> None:
        """The real target is shown while the canvas holds that example unchanged."""
        self._from_example = index
        shown = index is not None and self.examples is not None and "target" in self.examples
        if shown:
            self.target_view.set_pixels(self.examples["target"][index], undoable=False)
        self.target_view.setVisible(shown)
        self.target_caption.setText("real target" if shown else "real target: none (your own input)")

    def _on_stroke(self) -> None:
        self._shows_example(None)
        self.valueChanged.emit(self.value())

    # --- files ------------------------------------------------------------------------------------
    def choose_file(self) -> None:
        path, _ = QFileDialog.getOpenFileName(
            self,
            f"Load a {self.control.label}",
            "",
            "Images (*.png *.jpg *.jpeg *.bmp *.gif *.tif *.tiff *.webp);;All files (*)",
        )
        if path:
            self.load_file(Path(path))

    def load_file(self, path: Path) -> None:
        """A user's image as the input: converted to the model's size, grey, light on dark, with one line saying
        what changed; a file that is not an image is one line, and the canvas keeps what it had."""
        from trainers.paired_data import input_from_file

        try:
            image, notes = input_from_file(path, self.control)
        except UserFacingError as exc:
            self.said.emit(str(exc))
            return
        if notes:
            self.said.emit(f"{path.name}: {'; '.join(notes)}.")
        self.canvas.set_pixels(image)
        self._shows_example(None)
        self.valueChanged.emit(self.value())
