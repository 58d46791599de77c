"""The view of the 1-D sample kind: the real pdf, the generated density and D(x) over the range,
with the z -> G(z) mapping below, as GAN Lab shows its 2-D points. Every item is made once and
refreshed with setData, so a frame costs well under a millisecond to draw."""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLabel, QVBoxLayout, QWidget

from trainers.samples1d import Frame1D


class Frame1DView(QWidget):
    def __init__(self, parent=None):
        super().__init__(parent)
        self.plots = pg.GraphicsLayoutWidget()
        self.plots.setBackground("w")
        self.caption = QLabel("")  # a label outside the plots: long text wraps instead of widening them
        self.caption.setWordWrap(True)
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

    def show_marker(self, z: float, g_of_z: float) -> None:
        """Where one z lands: a dot on the mapping and a line through the densities."""
        self.marker.setData([z], [g_of_z])
        self.marker_line.setValue(g_of_z)
        self.marker_line.show()

    def reset_ranges(self) -> None:
        self._ranged = False
