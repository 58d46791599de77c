"""A pyqtgraph image pane created once and refreshed with setImage (fixed levels, no flicker)."""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg

pg.setConfigOptions(imageAxisOrder="row-major", antialias=False)


class ImagePane(pg.GraphicsLayoutWidget):
    def __init__(self, parent=None, min_height: int = 60):
        super().__init__(parent)
        self.setMinimumHeight(min_height)
        self.view = self.addViewBox(lockAspect=True, enableMouse=False, invertY=True)
        self.view.setMenuEnabled(False)
        self.item = pg.ImageItem(axisOrder="row-major")
        self.view.addItem(self.item)
        self.image: np.ndarray | None = None

    def show_image(self, image: np.ndarray) -> None:
        """uint8 or [0, 1] float image; levels fixed so brightness never jumps."""
        levels = (0, 255) if image.dtype == np.uint8 else (0.0, 1.0)
        first = self.image is None or self.image.shape != image.shape
        self.image = image
        self.item.setImage(image, levels=levels, autoLevels=False)
        if first:
            self.view.autoRange(padding=0.01)
