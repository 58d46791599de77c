"""A pyqtgraph image pane created once and refreshed with setImage (fixed levels, no flicker)."""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLabel

pg.setConfigOptions(imageAxisOrder="row-major", antialias=False)


class ImagePane(pg.GraphicsLayoutWidget):
    def __init__(self, parent=None, min_height: int = 60, fit_height: bool = False):
        super().__init__(parent)
        self.setMinimumHeight(min_height)
        self.min_height = min_height
        self.fit_height = fit_height  # a strip: as tall as its image at the pane's width, no black bands
        self._expected: tuple[int, int] | None = None  # (rows, cols) of the images to come
        if fit_height:
            self.ci.setContentsMargins(0, 0, 0, 0)
        self.view = self.addViewBox(lockAspect=True, enableMouse=False, invertY=True)
        self.view.setMenuEnabled(False)
        self.item = pg.ImageItem(axisOrder="row-major")
        self.view.addItem(self.item)
        self.image: np.ndarray | None = None
        self._message = QLabel(self)  # what the pane waits for, until its first image
        self._message.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self._message.setWordWrap(True)
        self._message.setStyleSheet("color: #d0d0d0; background: transparent; padding: 24px; font-size: 14px;")
        self._message.hide()

    def show_message(self, text: str) -> None:
        """A line in the middle of the empty pane (e.g. what is loading); the next image replaces it."""
        self._message.setText(text)
        self._message.setGeometry(self.rect())
        self._message.show()

    @property
    def message(self) -> str:
        """The line shown in place of an image, or "" once an image is there."""
        return "" if self._message.isHidden() else self._message.text()

    def resizeEvent(self, event):
        super().resizeEvent(event)
        if hasattr(self, "_message"):  # pyqtgraph resizes once inside its own __init__
            self._message.setGeometry(self.rect())
            self._fit_height()

    def expect_shape(self, rows: int, cols: int) -> None:
        """The shape of the images to come: a strip is as tall now as it will be, so that images arriving
        do not push the strips below out of view after they were asked for as in view."""
        self._expected = (rows, cols)
        self._fit_height()

    def _fit_height(self) -> None:
        shape = self.image.shape[:2] if self.image is not None else self._expected
        if self.fit_height and shape is not None:
            rows, cols = shape
            self.setFixedHeight(max(self.min_height, min(480, round(self.width() * rows / cols))))

    def show_image(self, image: np.ndarray) -> None:
        """uint8 or [0, 1] float image; levels fixed so brightness never jumps."""
        levels = (0, 255) if image.dtype == np.uint8 else (0.0, 1.0)
        first = self.image is None or self.image.shape != image.shape
        self.image = image
        self._message.hide()
        self.item.setImage(image, levels=levels, autoLevels=False)
        if first:
            self._fit_height()
            self.view.autoRange(padding=0 if self.fit_height else 0.01)
