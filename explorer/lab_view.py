"""The views of the labs' frames: the 1-D kind (the real pdf, the generated density and D(x) over the range,
with the z -> G(z) mapping below) and the 2-D kind (GAN Lab's picture: D(x) as a heatmap over the plane, real
and generated samples, the generator's warped noise grid, G's gradient on each sample). Every item is made once
and refreshed with setData, so a frame costs a millisecond or two to draw.

Each view has the same small surface: `show_frame`, `show_marker` (where the explorer's controls land),
`reset_ranges` and `frame`; `FRAME_VIEWS` and `KIND_VIEWS` say which view draws which frame and sample kind."""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QPointF, Qt, Signal
from PySide6.QtGui import QColor, QPainter, QPen
from PySide6.QtWidgets import QVBoxLayout, QWidget

from explorer.status_line import StatusLine
from trainers.families.base import Samples1D, Samples2D
from trainers.samples1d import Frame1D
from trainers.samples2d import Frame2D, arrow_lengths, decision_colours, format_figures


class Frame1DView(QWidget):
    title = "Live: real pdf, generated density, D(x) and the generator's mapping"

    def __init__(self, parent=None):
        super().__init__(parent)
        self.plots = pg.GraphicsLayoutWidget()
        self.plots.setBackground("w")
        self.caption = StatusLine(lines=4)  # outside the plots: long text wraps instead of widening them
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.plots, 1)
        layout.addWidget(self.caption)
        self.frame: Frame1D | None = None
        self.densities = self.plots.addPlot(row=0, col=0, title="Real pdf, generated density and D(x)")
        self.densities.addLegend(offset=(10, 5), labelTextSize="8pt", brush=pg.mkBrush(255, 255, 255, 200))
        self.densities.showGrid(x=True, y=True, alpha=0.15)
        self.densities.setLabel("bottom", "x")
        self.generated = self.densities.plot(
            stepMode="center",
            fillLevel=0,
            pen=pg.mkPen("#4363d8", width=1),
            brush=pg.mkBrush(67, 99, 216, 90),
            name="generated density",
        )
        self.real = self.densities.plot(pen=pg.mkPen("#2a9d3c", width=2.5), name="real pdf")
        self.decision = self.densities.plot(pen=pg.mkPen("#d62728", width=2), name="D(x)")
        self.half = pg.InfiniteLine(0.5, angle=0, pen=pg.mkPen("#d62728", style=Qt.PenStyle.DotLine))
        self.densities.addItem(self.half)
        self.mapping_plot = self.plots.addPlot(row=1, col=0, title="Generator mapping z → G(z)")
        self.mapping_plot.showGrid(x=True, y=True, alpha=0.15)
        self.mapping_plot.setLabel("bottom", "z")
        self.mapping_plot.setLabel("left", "G(z)")
        self.mapping = self.mapping_plot.plot(pen=pg.mkPen("#7b3fb0", width=2))
        self.marker = self.mapping_plot.plot(pen=None, symbol="o", symbolBrush="#7b3fb0", symbolSize=9)
        self.marker_line = pg.InfiniteLine(angle=90, pen=pg.mkPen("#7b3fb0", style=Qt.PenStyle.DashLine))
        self.marker_line.hide()
        self.densities.addItem(self.marker_line)
        self.plots.ci.layout.setRowStretchFactor(0, 3)
        self.plots.ci.layout.setRowStretchFactor(1, 2)
        self._ranged = False

    def show_frame(self, frame: Frame1D) -> None:
        self.frame = frame
        self.generated.setData(frame.edges, frame.generated)
        self.real.setData(frame.xs, frame.target_pdf)
        if frame.decision is not None:
            self.decision.setData(frame.xs, frame.decision)
        self.decision.setVisible(frame.decision is not None)
        self.half.setVisible(frame.decision is not None)
        self.mapping.setData(frame.z, frame.g_of_z)
        if not self._ranged:  # fixed ranges: the picture does not jump while training
            lo, hi = float(frame.xs[0]), float(frame.xs[-1])
            self.densities.setXRange(lo, hi, padding=0.01)
            self.densities.setYRange(0, max(1.05, float(frame.target_pdf.max()) * 1.3), padding=0)
            self.mapping_plot.setXRange(float(frame.z[0]), float(frame.z[-1]), padding=0.01)
            self.mapping_plot.setYRange(lo, hi, padding=0.02)
            self._ranged = True
        f = frame.figures
        self.caption.setText(
            f"step {frame.step:,} · JS divergence {f.get('js', np.nan):.4f} · 1-Wasserstein {f.get('w1', np.nan):.4f}"
            f" · generated mean {f.get('mean', np.nan):.3f}, σ {f.get('sigma', np.nan):.3f} · {frame.decision_note}"
        )

    def show_marker(self, controls: dict, sample: np.ndarray) -> None:
        """Where one z lands: a dot on the mapping and a line through the densities."""
        z, g_of_z = float(next(iter(controls.values()))), float(np.ravel(sample)[0])
        self.marker.setData([z], [g_of_z])
        self.marker_line.setValue(g_of_z)
        self.marker_line.show()

    def reset_ranges(self) -> None:
        self._ranged = False


class Frame2DView(QWidget):
    title = "Live: D(x) over the plane, real and generated samples, the warped noise grid and G's gradients"
    noise_pad = True  # the explorer offers a 2-D pad over the first two noise dimensions

    def __init__(self, parent=None):
        super().__init__(parent)
        self.plots = pg.GraphicsLayoutWidget()
        self.plots.setBackground("w")
        self.caption = StatusLine(lines=4)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.plots, 1)
        layout.addWidget(self.caption)
        self.frame: Frame2D | None = None
        self.plane = self.plots.addPlot(title="Real (green) and generated (purple) samples; D(x): red real, blue fake")
        self.plane.setAspectLocked(True)
        self.plane.hideButtons()
        self.heatmap = pg.ImageItem(axisOrder="row-major")
        self.plane.addItem(self.heatmap)
        self.grid = self.plane.plot(pen=pg.mkPen(150, 150, 150, 150, width=1), connect="finite")
        self.real = self.plane.plot(pen=None, symbol="o", symbolSize=4, symbolPen=None, symbolBrush="#2a9d3c")
        self.arrows = self.plane.plot(pen=pg.mkPen(70, 70, 70, 170, width=1), connect="pairs")
        self.fake = self.plane.plot(pen=None, symbol="o", symbolSize=4, symbolPen=None, symbolBrush="#7b3fb0")
        self.marker = self.plane.plot(pen=None, symbol="+", symbolSize=18, symbolPen=pg.mkPen("k", width=2))
        self._ranged = False

    def show_frame(self, frame: Frame2D) -> None:
        self.frame = frame
        x0, x1, y0, y1 = frame.box
        if frame.decision is not None:
            self.heatmap.setImage(decision_colours(frame.decision), autoLevels=False, levels=(0, 255))
            self.heatmap.setRect(pg.QtCore.QRectF(x0, y0, x1 - x0, y1 - y0))
        self.heatmap.setVisible(frame.decision is not None)
        lines = np.asarray(frame.noise_grid, np.float64)
        breaks = np.full((len(lines), 1, 2), np.nan)  # a gap between lines: "finite" leaves it unconnected
        path = np.concatenate([lines, breaks], 1).reshape(-1, 2)
        self.grid.setData(path[:, 0], path[:, 1])
        self.real.setData(frame.real[:, 0], frame.real[:, 1])
        fake = np.asarray(frame.fake, np.float64)
        shown = np.all(np.isfinite(fake), 1)
        self.fake.setData(fake[shown, 0], fake[shown, 1])
        if frame.gradients is not None:
            ends = fake + arrow_lengths(frame.gradients, frame.box)
            pairs = np.stack([fake, ends], 1)[::4][shown[::4]].reshape(-1, 2)  # one sample in four: readable
            self.arrows.setData(pairs[:, 0], pairs[:, 1])
        self.arrows.setVisible(frame.gradients is not None)
        if not self._ranged:  # fixed ranges: the picture does not jump while training
            self.plane.setXRange(x0, x1, padding=0)
            self.plane.setYRange(y0, y1, padding=0)
            self._ranged = True
        self.caption.setText(
            f"step {frame.step:,} · {format_figures(frame.figures, frame.modes)} · real: {frame.target_text}"
            f" · {frame.decision_note}"
        )

    def show_marker(self, controls: dict, sample: np.ndarray) -> None:
        """Where the explorer's noise lands in the plane."""
        point = np.asarray(sample, np.float64).reshape(-1, 2)[0]
        self.marker.setData([point[0]], [point[1]])

    def reset_ranges(self) -> None:
        self._ranged = False


FRAME_VIEWS = {Frame1D: Frame1DView, Frame2D: Frame2DView}  # the frame a lab's preview gives -> its view
KIND_VIEWS = {Samples1D: Frame1DView, Samples2D: Frame2DView}  # a model's sample kind -> the view the explorer uses


class NoisePad(QWidget):
    """A square over two noise dimensions: drag the dot and the generated point follows (the explorer's 2-D
    slider). `moved(x, y)` while dragging; `show_point` when the sliders move it instead."""

    moved = Signal(float, float)

    def __init__(self, parent=None):
        super().__init__(parent)
        self.setFixedSize(150, 150)
        self.setToolTip("Drag: the first two noise dimensions at once (the sliders follow)")
        self.ranges = ((-1.0, 1.0), (-1.0, 1.0))
        self.point = (0.0, 0.0)
        self.names = ("z1", "z2")

    def set_ranges(self, x_range, y_range, names=("z1", "z2")) -> None:
        self.ranges, self.names = (tuple(x_range), tuple(y_range)), tuple(names)
        self.update()

    def show_point(self, x: float, y: float) -> None:
        self.point = (float(x), float(y))
        self.update()

    def _to_pixels(self, x: float, y: float) -> QPointF:
        (x0, x1), (y0, y1) = self.ranges
        return QPointF((x - x0) / (x1 - x0) * self.width(), (1 - (y - y0) / (y1 - y0)) * self.height())

    def _to_values(self, p) -> tuple[float, float]:
        (x0, x1), (y0, y1) = self.ranges
        fx = min(max(p.x() / max(self.width(), 1), 0.0), 1.0)
        fy = min(max(1 - p.y() / max(self.height(), 1), 0.0), 1.0)
        return x0 + fx * (x1 - x0), y0 + fy * (y1 - y0)

    def paintEvent(self, _event):
        painter = QPainter(self)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        painter.fillRect(self.rect(), QColor("#fafafa"))
        painter.setPen(QPen(QColor("#c8c8c8"), 1))
        painter.drawRect(self.rect().adjusted(0, 0, -1, -1))
        centre = self._to_pixels(0.0, 0.0)
        painter.drawLine(QPointF(0, centre.y()), QPointF(self.width(), centre.y()))
        painter.drawLine(QPointF(centre.x(), 0), QPointF(centre.x(), self.height()))
        painter.setPen(QColor("#808080"))
        painter.drawText(4, self.height() - 4, self.names[0] + " →")
        painter.drawText(4, 12, "↑ " + self.names[1])
        painter.setPen(QPen(QColor("#000000"), 2))
        painter.setBrush(QColor("#7b3fb0"))
        painter.drawEllipse(self._to_pixels(*self.point), 5, 5)

    def mousePressEvent(self, event):
        self._drag(event)

    def mouseMoveEvent(self, event):
        if event.buttons() & Qt.MouseButton.LeftButton:
            self._drag(event)

    def _drag(self, event) -> None:
        self.point = self._to_values(event.position())
        self.update()
        self.moved.emit(*self.point)
        event.accept()
