"""A canvas to draw a real 2-D distribution on: click to add a point, drag to paint a stroke of points,
right-click to remove the nearest one. What comes out is the points as the family's setting keeps them."""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QDialog, QDialogButtonBox, QLabel, QPushButton, QVBoxLayout

from trainers.errors import UserFacingError
from trainers.samples2d import MAX_DRAWN_POINTS, format_points, parse_points

STROKE_SPACING = 0.03  # a drag adds a point each time it has moved this far (in the plane's units)


class PointsCanvas(pg.PlotWidget):
    """A square plot over `box` that collects points from the mouse."""

    def __init__(self, box, parent=None):
        super().__init__(parent, background="w")
        self.box = box
        self.points: list[tuple[float, float]] = []
        self.setAspectLocked(True)
        self.setXRange(box[0], box[1], padding=0)
        self.setYRange(box[2], box[3], padding=0)
        self.setMouseEnabled(x=False, y=False)
        self.hideButtons()
        self.setMenuEnabled(False)
        self.showGrid(x=True, y=True, alpha=0.2)
        self.scatter = self.plot(pen=None, symbol="o", symbolSize=6, symbolBrush="#2a9d3c", symbolPen=None)
        self.setMinimumSize(360, 360)
        self._last: tuple[float, float] | None = None

    def set_points(self, points) -> None:
        self.points = list(points)[:MAX_DRAWN_POINTS]
        self._redraw()

    def _redraw(self) -> None:
        xy = np.array(self.points, np.float64).reshape(-1, 2)
        self.scatter.setData(xy[:, 0], xy[:, 1])
        self.changed()

    def changed(self) -> None:
        """Called after every change (the dialog updates its count)."""

    def _plane(self, event) -> tuple[float, float]:
        p = self.getPlotItem().vb.mapSceneToView(self.mapToScene(event.position().toPoint()))
        return float(p.x()), float(p.y())

    def _inside(self, x: float, y: float) -> bool:
        x0, x1, y0, y1 = self.box
        return x0 <= x <= x1 and y0 <= y <= y1

    def mousePressEvent(self, event):
        x, y = self._plane(event)
        if event.button() == Qt.MouseButton.RightButton:
            self.remove_nearest(x, y)
        elif event.button() == Qt.MouseButton.LeftButton:
            self.add(x, y)
            self._last = (x, y)
        event.accept()

    def mouseMoveEvent(self, event):
        if self._last is None or not event.buttons() & Qt.MouseButton.LeftButton:
            return
        x, y = self._plane(event)
        if np.hypot(x - self._last[0], y - self._last[1]) >= STROKE_SPACING:
            self.add(x, y)
            self._last = (x, y)
        event.accept()

    def mouseReleaseEvent(self, event):
        self._last = None
        event.accept()

    def add(self, x: float, y: float) -> None:
        if self._inside(x, y) and len(self.points) < MAX_DRAWN_POINTS:
            self.points.append((x, y))
            self._redraw()

    def remove_nearest(self, x: float, y: float) -> None:
        if self.points:
            xy = np.array(self.points)
            del self.points[int(np.argmin(np.hypot(xy[:, 0] - x, xy[:, 1] - y)))]
            self._redraw()


class DrawPointsDialog(QDialog):
    """The canvas, a count, Clear, and OK (enabled once there is a point)."""

    def __init__(self, box, text: str = "", parent=None):
        super().__init__(parent)
        self.setWindowTitle("Draw the real distribution")
        self.canvas = PointsCanvas(box)
        self.count = QLabel()
        self.canvas.changed = self._say_count
        clear = QPushButton("Clear")
        clear.clicked.connect(lambda: self.canvas.set_points([]))
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel)
        self.buttons.addButton(clear, QDialogButtonBox.ButtonRole.ResetRole)
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)
        hint = QLabel("Click to add a point, drag to paint, right-click to remove the nearest. Each point is the "
                      "centre of a Gaussian of the run's sigma.")  # fmt: skip
        hint.setWordWrap(True)
        layout = QVBoxLayout(self)
        layout.addWidget(hint)
        layout.addWidget(self.canvas, 1)
        layout.addWidget(self.count)
        layout.addWidget(self.buttons)
        try:
            self.canvas.set_points(parse_points(text))
        except UserFacingError:  # a malformed setting: start from an empty canvas rather than refuse to open
            self.canvas.set_points([])

    def _say_count(self) -> None:
        n = len(self.canvas.points)
        self.count.setText(f"{n:,} point{'s' if n != 1 else ''}" + ("" if n else ": draw at least one"))
        self.buttons.button(QDialogButtonBox.StandardButton.Ok).setEnabled(n > 0)

    def points_text(self) -> str:
        return format_points(self.canvas.points)
